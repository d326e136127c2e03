package evidence

import (
	"fmt"
	"slices"
	"strings"
)

// Letter is an editable complaint letter drafted from the findings.
type Letter struct {
	Name string `json:"name"` // a file name: letter-lender-1.zh.txt
	To   string `json:"to"`
	Text string `json:"text"`
}

// The citations the letters quote, each verbatim from the regulations
// catalogue (a test checks them).
const (
	citeIllegalDebt = "《刑法》art. 293-1"
	citeHarassment  = "§1692d(1)–(6)"
	citeFalseClaims = "§1692e(1)–(14)"
)

// maxListed bounds the findings a letter lists one by one; the report has all.
const maxListed = 40

// threatCategories are the screener categories that make a police report worth
// drafting: threats and posing as the authorities.
var threatCategories = []string{"threat_violence", "threat_exposure", "false_authority", "false_legal"}

// Letters drafts, in r.Lang, a letter to each creditor the findings name (one
// to "the lender" for numbers with none), one to the regulator, and, when
// threats or false authority were found, a police report draft. Text in
// square brackets is for the borrower to fill in. Without findings there is
// nothing to write.
func Letters(r *Report) []Letter {
	if len(r.Findings) == 0 {
		return nil
	}
	lang := r.Lang
	L := func(zh, en string) string { return pick(lang, zh, en) }
	var labels []string
	for _, f := range r.Findings {
		if !slices.Contains(labels, f.Collector) {
			labels = append(labels, f.Collector)
		}
	}
	slices.Sort(labels)
	var out []Letter
	for i, label := range labels {
		var fs []Finding
		for _, f := range r.Findings {
			if f.Collector == label {
				fs = append(fs, f)
			}
		}
		to := label
		if to == "" {
			to = L("[贷款机构名称]", "[name of the lender]")
		}
		var b strings.Builder
		fmt.Fprintf(&b, L("致：%s（客户投诉/消费者权益保护部门）\n\n", "To: %s (customer complaints / consumer protection)\n\n"), to)
		b.WriteString(L("事由：对催收行为的投诉\n\n", "Subject: complaint about your debt collection\n\n"))
		b.WriteString(L("本人[姓名]，[借款合同编号/账户号]。本人手机记录显示，贵方或贵方委托的催收人员在下述时间对本人及本人身边的人进行了联系，违反了相关规定：\n\n",
			"I am [name], [loan contract or account number]. My phone's records show that you, or the collectors acting for you, contacted me and people around me as set out below, against the rules that apply:\n\n"))
		writeFacts(&b, lang, fs)
		b.WriteString(L("\n本人要求：\n1. 立即停止上述行为，今后只在规定时间、以规定频次与本人联系；\n2. 不再联系本人的亲友、同事等第三人，不向任何人透露本人的债务信息；\n3. 以书面方式答复本投诉，并说明处理结果；\n4. 保存与本人账户有关的全部催收记录（通话录音、短信），不得删除。\n",
			"\nI ask you:\n1. to stop at once, and to contact me only at the permitted times and as often as the rules allow;\n2. to stop contacting my family, friends and colleagues, and to disclose my debt to no one;\n3. to answer this complaint in writing, saying what you have done;\n4. to keep every collection record about my account (call recordings, messages), and delete none.\n"))
		writeEvidence(&b, lang, r)
		b.WriteString(L("\n此致\n[姓名]  [联系电话]  [日期]\n", "\nYours faithfully,\n[name]  [phone]  [date]\n"))
		out = append(out, Letter{Name: fmt.Sprintf("letter-lender-%d.%s.txt", i+1, lang), To: to, Text: b.String()})
	}

	var b strings.Builder
	to := L("国家金融监督管理总局（金融消费者投诉渠道）", "Consumer Financial Protection Bureau (CFPB), consumer complaint")
	if !strings.HasPrefix(r.Pack, "cn") {
		to = L("美国消费者金融保护局（CFPB）消费者投诉", "Consumer Financial Protection Bureau (CFPB), consumer complaint")
	} else if lang == "en" {
		to = "National Financial Regulatory Administration (NFRA), financial consumer complaints"
	}
	fmt.Fprintf(&b, L("致：%s\n\n", "To: %s\n\n"), to)
	b.WriteString(L("事由：举报违规催收\n\n", "Subject: unlawful debt collection\n\n"))
	b.WriteString(L("投诉人：[姓名]，[联系电话]。被投诉机构：[贷款机构及催收机构名称]。\n本人已于[日期]向被投诉机构投诉，[未获答复/答复不满意]。本人手机记录显示以下违规联系：\n\n",
		"Complainant: [name], [phone]. Company: [the lender and any collection agency].\nI complained to the company on [date] and [had no answer / was not satisfied with the answer]. My phone's records show these unlawful contacts:\n\n"))
	writeFacts(&b, lang, r.Findings)
	b.WriteString(L("\n请求：责令被投诉机构停止违规催收，不再联系本人的亲友、同事，并依法处理。\n", "\nI ask you to require the company to stop, to stop contacting my family, friends and colleagues, and to act as the law provides.\n"))
	writeEvidence(&b, lang, r)
	b.WriteString(L("\n[姓名]  [日期]\n", "\n[name]  [date]\n"))
	out = append(out, Letter{Name: "letter-regulator." + lang + ".txt", To: to, Text: b.String()})

	var threats []Finding
	for _, f := range r.Findings {
		if slices.ContainsFunc(f.Spans, func(s Span) bool { return slices.Contains(threatCategories, s.Category) }) {
			threats = append(threats, f)
		}
	}
	if len(threats) > 0 {
		var b strings.Builder
		b.WriteString(L("报案材料（草稿）\n\n", "Police report (draft)\n\n"))
		b.WriteString(L("报案人：[姓名]，[身份证号]，[联系电话]，[住址]。\n\n", "Reporting person: [name], [date of birth], [phone], [address].\n\n"))
		b.WriteString(L("本人因借款逾期，被催收人员以下列内容威胁、恐吓或冒充国家机关。原文如下（时间、来电/来信号码、内容）：\n\n",
			"Over an overdue loan, debt collectors threatened or intimidated me, or claimed to be the authorities, in these messages (time, number, words as received):\n\n"))
		for i, f := range threats {
			if i == maxListed {
				fmt.Fprintf(&b, L("……另有 %d 条，见分析报告。\n", "… and %d more, in the analysis report.\n"), len(threats)-maxListed)
				break
			}
			var words []string
			for _, s := range f.Spans {
				if slices.Contains(threatCategories, s.Category) {
					words = append(words, "「"+s.Text+"」")
				}
			}
			fmt.Fprintf(&b, "- %s  %s  %s\n  %s\n  %s %s\n", f.At.Format("2006-01-02 15:04"), f.Number, f.Collector, f.Text,
				L("其中：", "In it:"), strings.Join(words, " "))
		}
		if strings.HasPrefix(r.Pack, "cn") {
			b.WriteString(L("\n以暴力、胁迫、恐吓、跟踪、骚扰等手段催收高利放贷等产生的非法债务，情节严重的，可能构成"+citeIllegalDebt+" 规定的犯罪；冒充国家机关、威胁人身安全的言行，也请依法调查处理。\n",
				"\nCollecting an illegal debt (such as one from usurious lending) by intimidation, following or harassment may be a crime under "+citeIllegalDebt+"; threats to my safety and claims to be the authorities should also be looked into as the law provides.\n"))
		} else {
			b.WriteString(L("\n威胁使用暴力、冒充警察或法院，是《公平债务催收作业法》禁止的行为（"+citeHarassment+"; "+citeFalseClaims+"），威胁伤害他人也可能触犯州法。请依法调查。\n",
				"\nThreats of violence and false claims to be the police or a court are prohibited by the FDCPA ("+citeHarassment+"; "+citeFalseClaims+"); threats of harm may also be crimes under state law. I ask you to look into them.\n"))
		}
		writeEvidence(&b, lang, r)
		out = append(out, Letter{Name: "police-report-draft." + lang + ".txt", To: L("[派出所名称]", "[police department]"), Text: b.String()})
	}
	return out
}

// writeFacts lists findings, counted by category and then one by one.
func writeFacts(b *strings.Builder, lang string, fs []Finding) {
	counts := map[string]int{}
	for _, f := range fs {
		counts[f.Category]++
	}
	for _, c := range Observable {
		if counts[c] > 0 {
			unit := pick(lang, " 次", "")
			if c == "frequency" {
				unit = pick(lang, " 天", " days")
			}
			fmt.Fprintf(b, pick(lang, "- %s：%d%s\n", "- %s: %d%s\n"), tr(lang, "cat."+c), counts[c], unit)
		}
	}
	b.WriteString(pick(lang, "\n明细：\n", "\nIn detail:\n"))
	for i, f := range fs {
		if i == maxListed {
			fmt.Fprintf(b, pick(lang, "……另有 %d 条，见所附分析报告。\n", "… and %d more, in the attached analysis report.\n"), len(fs)-maxListed)
			break
		}
		who := pick(lang, "本人", "me")
		if f.Person != "owner" {
			who = f.Person
		}
		fmt.Fprintf(b, pick(lang, "%d. %s  %s  %s → %s：%s（%s）\n", "%d. %s  %s  %s → %s: %s (%s)\n"), i+1, f.At.Format("2006-01-02 15:04"), f.Number, tr(lang, "ch."+f.Channel), who,
			pick(lang, f.Reason.ZH, f.Reason.EN), f.Citation)
		if f.OverCap > 0 {
			fmt.Fprintf(b, "   "+tr(lang, "overcap")+"\n", f.OverCap)
		}
		if f.Text != "" {
			fmt.Fprintf(b, pick(lang, "   内容：%s\n", "   Text: %s\n"), f.Text)
		}
	}
}

// writeEvidence lists the input files with their hashes.
func writeEvidence(b *strings.Builder, lang string, r *Report) {
	b.WriteString(pick(lang, "\n证据：手机导出文件（SHA-256 可核验未被改动）及分析报告：\n", "\nEvidence: the phone's export files (their SHA-256 shows they are unaltered) and the analysis report:\n"))
	for _, in := range r.Inputs {
		fmt.Fprintf(b, "- %s  SHA-256 %s\n", in.File, in.SHA256)
	}
}
