package screen

import "testing"

const benchMessage = "张先生您好，这里是某某消费金融公司客户服务中心。您的账户本期应还款项尚未结清，如您在还款方面遇到困难，可以回电与我们协商分期或延期方案。我们的工作时间是每天上午九点至晚上八点，回电号码请以官方公布为准，请勿相信任何其"

// BenchmarkCategories measures screening a 120-character Chinese message.
func BenchmarkCategories(b *testing.B) {
	s := Default()
	b.SetBytes(int64(len(benchMessage)))
	b.ReportAllocs()
	for b.Loop() {
		s.Categories(benchMessage)
	}
}
