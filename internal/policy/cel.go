package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
)

// celCondition is a custom rule condition in CEL, type-checked at load time. The
// rule is violated when the condition evaluates to true.
type celCondition struct {
	src string
	prg cel.Program
}

// celVariables are the names a condition may use; each is documented in the README.
var celVariables = []cel.EnvOption{
	cel.Variable("channel", cel.StringType),
	cel.Variable("purpose", cel.StringType),
	cel.Variable("role", cel.StringType),
	cel.Variable("relation", cel.StringType),
	cel.Variable("message", cel.StringType),
	cel.Variable("collectors", cel.IntType),
	cel.Variable("caller_id_registered", cel.BoolType),
	cel.Variable("consent", cel.BoolType),
	cel.Variable("objected", cel.BoolType),
	cel.Variable("hour", cel.IntType),
	cel.Variable("minute", cel.IntType),
	cel.Variable("weekday", cel.IntType),
	cel.Variable("holds", cel.ListType(cel.StringType)),
	cel.Variable("content", cel.ListType(cel.StringType)),
	cel.Variable("attempts_today", cel.IntType),
	cel.Variable("attempts_7d", cel.IntType),
}

var celEnv = sync.OnceValues(func() (*cel.Env, error) { return cel.NewEnv(celVariables...) })

// celCostLimit bounds the work of one condition evaluation.
const celCostLimit = 100_000

func compileCEL(src string) (*celCondition, error) {
	env, err := celEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, errors.New(strings.ReplaceAll(strings.TrimSpace(iss.Err().Error()), "\n", " "))
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("must evaluate to bool, not %s", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit))
	if err != nil {
		return nil, err
	}
	return &celCondition{src: src, prg: prg}, nil
}

// eval reports whether the condition holds; an evaluation error counts as a
// violation, so a broken custom rule fails closed.
func (c *celCondition) eval(vars map[string]any) bool {
	out, _, err := c.prg.Eval(vars)
	if err != nil {
		return true
	}
	b, ok := out.Value().(bool)
	return !ok || b
}
