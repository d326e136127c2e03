package screen

// The interim screener: a small keyword lexicon matched on the raw text, with ASCII
// case folding only. The compliance gate still uses it because it costs about 0.9 µs
// for a 120-character message, where the full screener (Default) costs about 3 µs,
// which would take Evaluate below its 500,000 evaluations a second. The gate moves to
// the full screener once that is fast enough (the content-screening issue).

// InterimScreener reports which categories a text triggers by substring search over
// the interim lexicon. It is safe for concurrent use.
type InterimScreener struct {
	matcher *setAutomaton
}

type interimTerm struct {
	text     string
	category Category
}

var interimScreener = func() *InterimScreener {
	var terms []interimTerm
	for c := Category(0); c < numCategories; c++ {
		for _, t := range interimLexicon[c] {
			terms = append(terms, interimTerm{text: t, category: c})
		}
	}
	return &InterimScreener{matcher: newSetAutomaton(terms)}
}()

// Interim returns the interim screener.
func Interim() *InterimScreener { return interimScreener }

// Categories returns the set of categories that text triggers.
func (s *InterimScreener) Categories(text string) Set {
	return s.matcher.categories(text)
}

// interimLexicon is a deliberately small, synthetic keyword list. It covers the
// common phrasings of each category in Chinese and English so the gate can deny
// the obvious cases; the content-screening issue replaces it with a full lexicon,
// normalisation and span reporting.
var interimLexicon = map[Category][]string{
	ThreatViolence: {
		"打断你的腿", "弄死你", "杀了你", "砍死", "卸你", "让你好看", "找人收拾你",
		"break your legs", "kill you", "hurt you", "beat you", "you'll regret it",
	},
	ThreatExposure: {
		"爆通讯录", "通知你的家人", "通知你家人", "告诉你的家人", "告诉你单位", "通知你单位", "联系你的同事",
		"发到朋友圈", "曝光你", "让所有人知道", "打给你通讯录",
		"tell your employer", "tell your family", "call your boss", "contact everyone in your phone",
		"post it online", "expose you", "tell all your friends",
	},
	FalseLegal: {
		"立案", "拘留", "逮捕", "坐牢", "抓你", "刑事责任", "移交公安", "传票", "判刑", "通缉",
		"arrest", "jail", "prison", "criminal charge", "warrant for", "lawsuit has been filed",
	},
	FalseAuthority: {
		"公安局", "我是警察", "警官", "派出所", "法院工作人员", "检察院", "法院通知",
		"this is the police", "police department", "sheriff", "court officer", "federal agent",
	},
	GuarantorClaim: {
		"担保人", "连带责任", "替他还", "替她还", "你来还", "你必须还",
		"you are responsible for", "you must pay his", "you must pay her", "guarantor", "co-signer",
	},
	Insult: {
		"老赖", "骗子", "废物", "不要脸", "人渣", "畜生",
		"deadbeat", "scum", "loser", "worthless", "idiot",
	},
	DebtDisclosure: {
		"欠款", "欠钱", "欠债", "逾期", "还款", "借款", "贷款", "债务", "催收", "账单",
		"debt", "owes", "owe money", "overdue", "past due", "loan", "repay", "collection", "balance due",
	},
	InduceBorrowing: {
		"以贷养贷", "借钱还", "去别的平台借", "借网贷还", "套现还",
		"take out another loan", "borrow from another", "borrow money to pay", "payday loan to pay",
	},
	UnauthorizedFee: {
		"手续费", "上门费", "催收费", "加急费", "服务费",
		"collection fee", "processing fee", "service fee", "late handling fee",
	},
}

// setAutomaton is an Aho-Corasick string matcher compiled to a dense DFA over byte
// classes. Each state carries the set of categories of every term that ends there,
// including terms that are suffixes of longer ones, so one pass over a text with
// one table look-up per byte finds every category, overlapping matches included.
//
// Bytes that occur in no term share class 0, so a row holds one entry per distinct
// byte of the lexicon rather than 256, which keeps the hot rows in cache.
type setAutomaton struct {
	class [256]uint8 // class[b] is the column of byte b
	// table holds one row per state: the state's output set, then its transitions.
	// A transition holds the start of the next state's row, so stepping needs no
	// multiplication: next = table[row+1+class].
	table []uint32
}

// newSetAutomaton builds the DFA for terms. ASCII letters match either case.
func newSetAutomaton(terms []interimTerm) *setAutomaton {
	a := &setAutomaton{}
	w := 1 // the number of byte classes
	for _, t := range terms {
		for i := 0; i < len(t.text); i++ {
			if c := lowerASCII(t.text[i]); a.class[c] == 0 {
				if w == 256 {
					panic("screen: lexicon uses more than 255 distinct bytes")
				}
				a.class[c] = uint8(w)
				w++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	// The trie: goto edges, with 0 meaning "no edge" (the root is never a target).
	delta := make([]int, w)
	out := []Set{0}
	for _, t := range terms {
		s := 0
		for i := 0; i < len(t.text); i++ {
			c := int(a.class[t.text[i]])
			if delta[s*w+c] == 0 {
				delta[s*w+c] = len(out)
				delta = append(delta, make([]int, w)...)
				out = append(out, 0)
			}
			s = delta[s*w+c]
		}
		out[s] = out[s].With(t.category)
	}
	// Breadth-first, turn the trie into the DFA: a missing edge follows the failure
	// link, and each state inherits the outputs of its failure state.
	fail := make([]int, len(out))
	queue := make([]int, 0, len(out))
	for c := 0; c < w; c++ {
		if s := delta[c]; s != 0 {
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		out[s] |= out[f]
		for c := 0; c < w; c++ {
			if next := delta[s*w+c]; next != 0 {
				fail[next] = delta[f*w+c]
				queue = append(queue, next)
			} else {
				delta[s*w+c] = delta[f*w+c]
			}
		}
	}
	row := w + 1
	if len(out)*row > 1<<32-1 {
		panic("screen: lexicon too large for the matcher")
	}
	a.table = make([]uint32, len(out)*row)
	for st := range out {
		a.table[st*row] = uint32(out[st])
		for c := 0; c < w; c++ {
			a.table[st*row+1+c] = uint32(delta[st*w+c] * row)
		}
	}
	return a
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// categories returns the union of the categories of every term found in text.
func (a *setAutomaton) categories(text string) Set {
	var set uint32
	row := uint32(0)
	t := a.table
	for i := 0; i < len(text); i++ {
		row = t[row+1+uint32(a.class[text[i]])]
		set |= t[row]
	}
	return Set(set)
}
