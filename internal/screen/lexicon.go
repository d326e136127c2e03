package screen

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
