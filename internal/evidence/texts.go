package evidence

// texts holds the report's words in Simplified Chinese and English.
var texts = map[string][2]string{
	"title":      {"催收证据分析报告", "Debt collection evidence report"},
	"intro":      {"本报告由 fairdebt 根据手机导出的通话记录和短信离线生成：识别其中的催收联系，并按所选规则包逐条检查。每项发现都注明规则、依据和原始文件中的位置。", "fairdebt made this report offline from a phone's exported call log and messages: it picks out the debt collection contacts and checks each one against the chosen rule pack. Every finding names its rule, its source and where it is in the original file."},
	"not_advice": {"本报告不是法律意见。依据的可信度：T＝已阅读法规原文；R＝据律所、新闻或行业资料报道；U＝未核实。", "This report is not legal advice. Confidence of a source: T = the text of the law was read; R = reported by law firms, news or industry write-ups; U = unverified."},
	"summary":    {"概要", "Summary"},
	"period":     {"期间", "Period"},
	"pack":       {"规则包", "Rule pack"},
	"zone":       {"时区", "Time zone"},
	"generated":  {"生成时间", "Generated"},
	"n_findings": {"发现总数", "Findings"},
	"n_contacts": {"识别出的催收联系", "Collection contacts identified"},
	"by_cat":     {"按类别", "By category"},
	"none":       {"按所选规则包，未发现可由导出数据证明的违规。", "Under the chosen pack, the exports show no violation."},

	"timeline":           {"时间线", "Timeline"},
	"chart.title":        {"每日对借款人的催收联系", "Collection contacts with the borrower per day"},
	"chart.title_weekly": {"每周对借款人的催收联系", "Collection contacts with the borrower per week"},
	"chart.flagged":      {"有违规发现", "with a finding"},
	"chart.other":        {"其他", "others"},

	"capdays":       {"超过频次上限的日期", "Days over the caps"},
	"capdays.n":     {"超限联系数", "Contacts over the cap"},
	"overcap":       {"当天共 %d 次联系超过上限（首次见本行时间和位置）。", "%d contacts over the cap that day (the first at this row's time and place)."},
	"findings":      {"逐条发现", "Findings"},
	"col.when":      {"时间", "When"},
	"col.number":    {"号码", "Number"},
	"col.channel":   {"方式", "Channel"},
	"col.person":    {"对象", "Reached"},
	"col.category":  {"类别", "Category"},
	"col.rule":      {"规则与理由", "Rule and reason"},
	"col.citation":  {"依据", "Source"},
	"col.where":     {"原始位置", "In the file"},
	"col.text":      {"内容（标出的词语为筛查命中）", "Text (marked words are what the screener found)"},
	"owner":         {"借款人本人", "the borrower"},
	"ch.call":       {"电话", "call"},
	"ch.sms":        {"短信", "message"},
	"out.answered":  {"已接听", "answered"},
	"out.missed":    {"未接", "missed"},
	"out.voicemail": {"语音信箱", "voicemail"},
	"out.rejected":  {"已拒接", "declined"},
	"out.blocked":   {"已拦截", "blocked"},
	"out.outgoing":  {"呼出", "outgoing"},

	"collectors":             {"催收号码", "Collection numbers"},
	"col.label":              {"机构", "Creditor or agency"},
	"col.how":                {"识别方式", "How identified"},
	"col.calls":              {"来电", "Calls"},
	"col.messages":           {"短信", "Messages"},
	"col.first":              {"首次", "First"},
	"col.last":               {"最近", "Last"},
	"known":                  {"用户提供", "given by the user"},
	"inferred":               {"由短信内容推断", "inferred from its messages"},
	"thirdparties":           {"对第三方的联系", "Contacts with third parties"},
	"col.disclosed":          {"向其透露或发送的内容类别", "What they were sent (categories)"},
	"inputs":                 {"输入文件与 SHA-256（证明证据未被改动）", "Input files and SHA-256 (to show the evidence unaltered)"},
	"col.file":               {"文件", "File"},
	"col.role":               {"来源", "Whose"},
	"col.format":             {"格式", "Format"},
	"col.records":            {"记录数", "Records"},
	"col.skipped":            {"无法读取", "Unreadable"},
	"col.complete":           {"完整", "Complete"},
	"yes":                    {"是", "yes"},
	"no_truncated":           {"否：文件在此之前的记录已分析", "no: the records before the damage were analysed"},
	"limits":                 {"前提与局限", "Assumptions and limits"},
	"role.owner":             {"借款人", "the borrower"},
	"role.third_party":       {"无关第三人", "an unrelated third party"},
	"role.emergency_contact": {"紧急联系人（经同意）", "an emergency contact (with consent)"},

	"cat.quiet_hours":            {"休息时间联系", "Contact in quiet hours"},
	"cat.frequency":              {"超过频次上限", "Over a frequency cap"},
	"cat.post_conversation":      {"通话后过早再次联系", "Contact too soon after a conversation"},
	"cat.prohibited_content":     {"禁止的内容", "Prohibited content"},
	"cat.third_party":            {"联系第三方", "Contact with a third party"},
	"cat.third_party_disclosure": {"向第三方透露债务", "Debt disclosed to a third party"},
	"cat.third_party_repeat":     {"重复联系第三方", "Third party contacted again"},

	"assume.collection_traffic":  {"催收联系的识别：用户提供的号码；以及手机未保存姓名、且短信含有催收用语或被筛查命中的号码（其来电也计入）。已保存为联系人的号码不计入，除非用户将其列为催收号码。", "Collection traffic is: the numbers the user gave, and numbers the phone has no name for whose messages use collection vocabulary or are flagged by the screener (their calls count too). Numbers saved as contacts are left out unless the user lists them."},
	"assume.caller_id":           {"无法从导出数据判断来电号码是否登记、是否表明身份、借款人是否同意或是否有暂停事由，相关规则未检查。", "An export cannot show whether a caller ID was registered, whether the caller identified themselves, or any consent or hold, so those rules were not checked."},
	"assume.unlabelled_numbers":  {"未标明机构的号码被视为同一债权人合并计算频次；如实际属于不同债权人，请用 --collector 号码=机构 标明后重新分析。", "Numbers with no creditor named are counted together as one creditor for the caps; if they belong to different creditors, name them with --collector NUMBER=NAME and run again."},
	"assume.third_party_purpose": {"对第三方的来电按“仅为寻找借款人”（最有利于催收方的假设）评估；只有短信内容能证明更多。", "Calls to third parties are taken to have only asked where the borrower is (the assumption most favourable to the collector); only a message's words prove more."},
}

// tr returns the text for key in lang ("zh" or "en"), or the key itself.
func tr(lang, key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if lang == "zh" {
		return t[0]
	}
	return t[1]
}
