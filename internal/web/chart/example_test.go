package chart_test

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/fairdebt/fairdebt/internal/web/chart"
)

// The charts are template.HTML, so html/template embeds them as they are.
func ExampleColumns() {
	svg := chart.Columns(chart.ColumnChart{
		ID:      "contacts-per-day",
		Title:   "Contacts per day",
		XLabels: []string{"11-01", "11-02"},
		Series: []chart.Series{
			{Name: "allowed", Class: "allowed", Values: []float64{12, 9}},
			{Name: "denied", Class: "denied", Values: []float64{2, 4}},
		},
	})
	page := template.Must(template.New("").Parse(`<figure>{{.}}</figure>`))
	var b strings.Builder
	if err := page.Execute(&b, svg); err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(b.String(), `<rect class="chart-seg chart-series-denied"`))
	// Output: true
}
