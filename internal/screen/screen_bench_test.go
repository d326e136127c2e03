package screen

import (
	"strings"
	"testing"
)

const benchMessage = "张先生您好，这里是某某消费金融公司客户服务中心。您的账户本期应还款项尚未结清，如您在还款方面遇到困难，可以回电与我们协商分期或延期方案。我们的工作时间是每天上午九点至晚上八点，回电号码请以官方公布为准，请勿相信任何其"

// mixedText is about 4 KB of mixed Chinese: simplified and traditional, lawful and
// not, with punctuation, digits and an evasion or two.
var mixedText = strings.Repeat(benchMessage+
	"您好，您在本平台的借款已逾期3天，請盡快還款，以免影響您的個人徵信。"+
	"再不还钱就爆你通讯录，让你全家都知道你是个老 赖！！！"+
	"如對帳單有疑問，請撥打官方客服熱線，我們將在工作時間內為您核實處理。", 4)

// BenchmarkCategories measures screening a 120-character Chinese message, as the
// gate does for every attempt with a message.
func BenchmarkCategories(b *testing.B) {
	s := Default()
	b.SetBytes(int64(len(benchMessage)))
	b.ReportAllocs()
	for b.Loop() {
		s.Categories(benchMessage)
	}
}

// BenchmarkScreenMixed measures screening about 4 KB of mixed Chinese text with spans,
// normalisation included. Target: at least 20 MB/s per core.
func BenchmarkScreenMixed(b *testing.B) {
	s := Default()
	b.SetBytes(int64(len(mixedText)))
	b.ReportAllocs()
	for b.Loop() {
		s.Screen(mixedText)
	}
}
