package planner

import (
	"fmt"
	"slices"
	"strings"
)

// maxRunsShown bounds the payment lines in one message; the schedule has the rest.
const maxRunsShown = 12

// run is a stretch of consecutive monthly payments of one amount.
type run struct {
	from, to Date
	count    int
	amount   Money
}

// runs groups a debt's payments in a strategy into stretches of equal amounts,
// and returns the month of the first payment (0 when there is none) and whether
// a month with no payment falls between the first payment and the last.
func runs(s *StrategyPlan, di int) (out []run, first int, gap bool) {
	last := 0
	for _, row := range s.Rows {
		amt := row.Cells[di].Payment
		if amt == 0 {
			continue
		}
		if first == 0 {
			first = row.Month
		}
		if last > 0 && row.Month != last+1 {
			gap = true
		}
		if n := len(out); n > 0 && out[n-1].amount == amt && row.Month == last+1 {
			out[n-1].to = row.Date
			out[n-1].count++
		} else {
			out = append(out, run{from: row.Date, to: row.Date, count: 1, amount: amt})
		}
		last = row.Month
	}
	return out, first, gap
}

// negotiation writes the message to platform di proposing strategy s's plan.
func (p *Plan) negotiation(s *StrategyPlan, di int, lang Lang) string {
	d := &p.Debts[di]
	sd := &s.Debts[di]
	var b strings.Builder
	pick := func(zh, en string) string {
		if lang == EN {
			return en
		}
		return zh
	}
	say := func(zh, en string) { b.WriteString(pick(zh, en)) }
	m := func(x Money) string { return p.money(x, lang) }

	say(fmt.Sprintf("致 %s：\n\n", d.Platform), fmt.Sprintf("To %s:\n\n", d.Platform))
	overdue := ""
	if d.DaysOverdue > 0 {
		overdue = pick(fmt.Sprintf("，已逾期 %d 天", d.DaysOverdue), fmt.Sprintf(", %d days overdue", d.DaysOverdue))
	}
	say(fmt.Sprintf("我是贵平台的借款人。贵方目前主张我尚欠 %s%s。\n", m(d.Outstanding), overdue),
		fmt.Sprintf("I am one of your borrowers. You currently say I owe %s%s.\n", m(d.Outstanding), overdue))

	adv := ""
	if d.AdvertisedRate != nil {
		adv = pick(fmt.Sprintf("，而宣传利率为 %s", *d.AdvertisedRate), fmt.Sprintf(", while the advertised rate is %s", *d.AdvertisedRate))
	}
	switch {
	case d.TrueRate != nil:
		conv := map[Convention]Text{
			Monthly: {ZH: "按月计算，月利率 × 12", EN: "monthly rate × 12"},
			Daily:   {ZH: "按日计算，日利率 × 365", EN: "daily rate × 365"},
		}[d.TrueRate.Convention]
		say(fmt.Sprintf("按我实际到手的金额（%s 到手 %s）和合同约定的全部还款与费用计算，这笔借款的真实年化利率（内部收益率，%s）约为 %s%s。\n",
			d.Received.Date, m(d.Received.Amount), conv.ZH, d.TrueRate.APR, adv),
			fmt.Sprintf("From the money I actually received (%s on %s) and everything the contract charges, the true annual rate of this loan (internal rate of return, %s) is about %s%s.\n",
				m(d.Received.Amount), d.Received.Date, conv.EN, d.TrueRate.APR, adv))
	case d.AdvertisedRate != nil:
		say(fmt.Sprintf("这笔借款的宣传利率为 %s。\n", *d.AdvertisedRate),
			fmt.Sprintf("The advertised rate of this loan is %s.\n", *d.AdvertisedRate))
	}
	// The letter states findings; that the planner lacks an LPR entry is not one.
	findings := slices.DeleteFunc(slices.Clone(d.Flags), func(f Flag) bool { return f.ID == FlagLPRUnknown })
	if len(findings) > 0 {
		say("请注意：\n", "Please note:\n")
		for _, f := range findings {
			cite := f.Citation
			if f.CitationNote != "" {
				cite += ", " + f.CitationNote
			}
			say(fmt.Sprintf("- %s（%s）\n", f.Detail.ZH, cite), fmt.Sprintf("- %s (%s)\n", f.Detail.EN, cite))
		}
	}
	b.WriteString("\n")

	line := d.Threshold.Protected.String()
	if sd.Reduced {
		switch {
		case p.Pack == US && sd.StartBalance > 0:
			say(fmt.Sprintf("由于年化利率高于 %s 这一参照标准，我提议只偿还实际到手的本金，加上按年利率 %s 计算的利息，扣除我已还的款项：截至 %s 共 %s，而不是贵方主张的 %s。这是我的还款提议，并不是说法律把这笔借款的利率限定为 %s。\n",
				line, line, p.Today, m(sd.StartBalance), m(d.Outstanding), line),
				fmt.Sprintf("Because the APR is above the %s benchmark, I propose to repay only the principal I actually received plus interest at %s a year, less what I have paid: %s as of %s, instead of the %s you claim. This is my proposal, not a claim that the law caps this loan at %s.\n",
					line, line, m(sd.StartBalance), p.Today, m(d.Outstanding), line))
		case sd.StartBalance > 0:
			say(fmt.Sprintf("由于上述利率高于保护标准（年利率 %s），我提议只偿还实际到手的本金，加上按年利率 %s 计算的利息，扣除我已还的款项：截至 %s 共 %s，而不是贵方主张的 %s。\n",
				line, line, p.Today, m(sd.StartBalance), m(d.Outstanding)),
				fmt.Sprintf("Because the rate is above the protection line (%s a year), I propose to repay only the principal I actually received plus interest at %s a year, less what I have paid: %s as of %s, instead of the %s you claim.\n",
					line, line, m(sd.StartBalance), p.Today, m(d.Outstanding)))
		default:
			say(fmt.Sprintf("按我的计算，我已还的款项已超过实际到手的本金加按年利率 %s 计算的利息（多出 %s）。我提议双方确认这笔借款已经结清。\n", line, m(d.Overpaid)),
				fmt.Sprintf("By my calculation, what I have paid already exceeds the principal I actually received plus interest at %s a year (by %s). I propose that we confirm this loan as settled.\n", line, m(d.Overpaid)))
		}
	}

	rs, first, gap := runs(s, di)
	if len(rs) > 0 {
		say(fmt.Sprintf("我提议按以下计划向贵方还款，共 %s：\n", m(sd.Paid)),
			fmt.Sprintf("I propose to pay you %s in total, as follows:\n", m(sd.Paid)))
		for i, r := range rs {
			if i == maxRunsShown {
				say(fmt.Sprintf("  - ……其余 %d 笔见还款计划表\n", len(rs)-i), fmt.Sprintf("  - ... %d more in the schedule\n", len(rs)-i))
				break
			}
			if r.count == 1 {
				say(fmt.Sprintf("  - %s：%s\n", r.from, m(r.amount)), fmt.Sprintf("  - %s: %s\n", r.from, m(r.amount)))
			} else {
				say(fmt.Sprintf("  - %s 至 %s：每月 %s（共 %d 期）\n", r.from, r.to, m(r.amount), r.count),
					fmt.Sprintf("  - %s to %s: %s a month (%d payments)\n", r.from, r.to, m(r.amount), r.count))
			}
		}
		if sd.ClearedMonth > 0 {
			say(fmt.Sprintf("最后一笔于 %s 支付后，这笔借款即还清。\n", sd.ClearedOn),
				fmt.Sprintf("The payment on %s clears the debt.\n", sd.ClearedOn))
		} else {
			say(fmt.Sprintf("按目前的预算，%d 个月内还不清这笔借款；我会在情况好转时增加还款。\n", MaxMonths),
				fmt.Sprintf("On my present budget this does not clear the debt within %d months; I will pay more when I can.\n", MaxMonths))
		}
		switch {
		case first > 1:
			say(fmt.Sprintf("在 %s 之前，我需要先偿还其他欠款。请贵方在此之前暂停催收，不再增加罚息和费用。\n", p.Today.AddMonths(first)),
				fmt.Sprintf("Until %s I must repay my other debts first. I ask you to pause collection until then and not to add penalties or fees.\n", p.Today.AddMonths(first)))
		case gap:
			say("有些月份我需要先偿还其他欠款、无法向贵方付款。请贵方在这些月份暂停催收，不再增加罚息和费用。\n",
				"In some months I must repay other debts first and can pay you nothing. I ask you to pause collection in those months and not to add penalties or fees.\n")
		}
		switch {
		case p.Accrual == AccrueNone:
			say("此计划假设还款期间不再计收利息、罚息和其他费用，请予确认。\n",
				"This plan assumes that no further interest, penalties or fees are added while it runs; please confirm.\n")
		case sd.Interest > 0:
			say(fmt.Sprintf("以上金额已包含计划期间对剩余本金按不超过年利率 %s 计算的单利。\n", d.AccrualRate),
				fmt.Sprintf("These amounts include simple interest on the principal left, at no more than %s a year, while the plan runs.\n", d.AccrualRate))
		}
	}
	b.WriteString("\n")
	say("请停止联系我的家人、朋友、同事或任何其他第三方；有关这笔借款的沟通，请只与我本人联系。\n请书面回复是否同意此计划。\n\n[你的姓名]\n",
		"Please stop contacting my family, friends, colleagues or anyone else about this debt, and communicate only with me.\nPlease reply in writing whether you accept this plan.\n\n[Your name]\n")
	b.WriteString(p.Today.String())
	b.WriteString("\n")
	return b.String()
}

// contactsMessage is what the borrower sends their contacts in advance.
func contactsMessage(lang Lang) string {
	if lang == EN {
		return `Hello,

I have some loans that I am repaying and negotiating with the lenders. If anyone calls or messages you about my loans:

1. Unless you signed as my guarantor, the debt is not yours: you do not have to pay it, and you do not have to give them any information about me.
2. You can tell them plainly not to contact you again, and end the call.
3. Please do not pay or transfer money to anyone, even if they say they collect for me or claim to be the police, a court or a lawyer. Tell me instead.
4. If you can, keep a record: the number, the date and time, what was said, and screenshots of texts and chats. Please pass it on to me; I can use it in a complaint.
5. If anyone threatens or insults you, you can report it to the police.

I am sorry for the trouble, and thank you.
`
	}
	return `你好：

我有几笔借款正在还款，也在和平台协商。如果有人为我的借款给你打电话或发消息：

1. 除非你签字做过我的担保人，这笔借款与你无关：你没有义务替我还款，也不必向对方提供我的任何信息。
2. 你可以明确告诉对方不要再联系你，然后挂断。
3. 请不要向任何人付款或转账，即使对方说是代我收款，或自称是警察、法院、律师。请直接告诉我。
4. 如果方便，请保存记录：来电号码、日期和时间、对方说了什么，以及短信和聊天记录的截图，并转给我，我可以用来投诉。
5. 如果对方威胁或辱骂你，你可以向公安机关报警。

给你添麻烦了，抱歉，也谢谢你。
`
}
