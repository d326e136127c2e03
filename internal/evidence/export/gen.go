package export

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// GenOptions says what Generate writes.
type GenOptions struct {
	Format Format // FormatSMSXML, FormatCallXML or FormatCSV
	// Bytes is about how large the output is: records are written until it
	// is reached (a header and a footer are added).
	Bytes int64
	Seed  int64 // the same options and seed write the same bytes
	// Start is the first record's time; the records are spread over the
	// following months. The zero Time means 2026-01-05 09:00 in Asia/Shanghai.
	Start time.Time
	// Collectors are the numbers that send collection messages and make
	// collection calls; nil means a few synthetic ones.
	Collectors []string
	// CollectionShare is the fraction of records from collectors, outside the
	// days when a collector calls or writes many times; 0 means 0.2.
	CollectionShare float64
}

// DefaultCollectors are the synthetic collectors' numbers Generate uses when
// GenOptions.Collectors is nil.
var DefaultCollectors = []string{"+8613800009901", "+8613800009902", "+8613800009903", "+12025550188"}

// shanghai is Asia/Shanghai, which has had no daylight saving time since
// 1991; a fixed zone does not depend on the system's time zone database.
var shanghai = time.FixedZone("CST", 8*3600)

// The texts Generate writes. Everything is synthetic. "\n" is a line break,
// which the XML has as &#10;.
var (
	genChat = []string{
		"晚上一起吃饭吗？",
		"好的，明天见 👍",
		"Running 10 min late, sorry!",
		"Can you pick up milk & bread on the way home?",
		"生日快乐！🎂🎉",
		"收到，谢谢",
		"Meeting moved to 3pm. Room B & C are both booked.",
		"周末去爬山吗？\n天气预报说是晴天 ☀️",
		"Did you see the game last night? 😂",
		"妈妈说周日回家吃饭",
		"The parcel arrived <finally>, thanks!",
		"我到楼下了",
		"Happy new year! 新年快乐 🧧",
		"Call me when you're free \"after\" work",
		"明天下午三点开会，别忘了带电脑",
		"ok",
		"Thanks for dinner, it was great 😀",
		"孩子今天发烧了，我请假在家",
	}
	genCollection = []string{
		"您的借款已逾期，请尽快还款。",
		"【还款提醒】您在本平台的借款已逾期3天，请于今日内还款，以免影响您的信用记录。",
		"Your payment is overdue. Please pay today.",
		"Reminder: your loan instalment of ¥1,200 is due tomorrow.",
		"Please call us back regarding account ending 0042. Office hours 9:00–18:00.",
		"您好，您的账单已出，应还金额 ¥3,456.00 & 最低还款 ¥345.60",
		"您好，这里是客服中心，请问您什么时候方便还款？",
		"We have not received your payment of $250.00. Reply PAY to arrange a plan.",
		"温馨提示：可申请分期还款，详询客服 🙏",
		"Your account is 30 days past due.\nTo discuss options call 202-555-0100.",
	}
	genAbuse = []string{
		"再不还钱就让你全家好看",
		"我们是法院的，明天来抓你",
		"you deadbeat, we will tell your employer",
		"不还钱就把你的照片发给你通讯录里所有人",
		"We know where you live. Pay now or else.",
		"你这种老赖，等着坐牢吧！",
		"We will call your mother and your boss every day until you pay",
		"今天不还，明天就去你单位找你 😡",
	}
	genMMS = []string{"看看这张照片", "Photo from the trip 📷", "", "新家的样子\n你觉得怎么样？"}
)

// Generate writes a synthetic phone export in the given format, of about
// g.Bytes bytes, and returns how many bytes it wrote. The data are
// synthetic: numbers in ranges that are not assigned to anyone (+86 138 0000
// xxxx, +1 202 555 01xx), contacts named "Synthetic Friend N". A share of the
// records are from collectors, most of them ordinary collection messages and
// calls, some abusive or threatening, some at night (22:00 to 08:00 in
// Asia/Shanghai), and on some days a collector calls or writes many times.
// Message bodies have characters that must be escaped, line breaks and emoji
// (in the XML, some as pairs of UTF-16 surrogate references, as SMS Backup &
// Restore writes them). The output for a seed does not change.
func Generate(w io.Writer, g GenOptions) (written int64, err error) {
	switch g.Format {
	case FormatSMSXML, FormatCallXML, FormatCSV:
	default:
		return 0, fmt.Errorf("generate: unknown format %v", g.Format)
	}
	if g.Bytes < 0 {
		return 0, errors.New("generate: negative size")
	}
	// Count the records first, so that the XML header can say how many.
	var c counter
	n, err := generate(&c, g, -1)
	if err != nil {
		return 0, err
	}
	return generate(w, g, n)
}

// counter counts bytes.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// gen is the state of a generator.
type gen struct {
	GenOptions
	src   *rand.PCG
	t     time.Time
	gap   time.Duration
	burst int    // records left in a collector's burst
	bnum  string // the bursting collector
	b     []byte
	seq   int
}

// generate writes the file. count is the number of records to write, or -1
// to write until g.Bytes; it returns the number of records when count is -1,
// and the number of bytes otherwise.
func generate(w io.Writer, o GenOptions, count int64) (int64, error) {
	g := &gen{GenOptions: o, src: rand.NewPCG(uint64(o.Seed), 0x9e3779b97f4a7c15)}
	if g.Collectors == nil {
		g.Collectors = DefaultCollectors
	}
	if g.CollectionShare == 0 {
		g.CollectionShare = 0.2
	}
	if g.Start.IsZero() {
		g.Start = time.Date(2026, 1, 5, 9, 0, 0, 0, shanghai)
	}
	g.t = g.Start
	avg := map[Format]int64{FormatSMSXML: 350, FormatCallXML: 330, FormatCSV: 90}[o.Format]
	est := max(o.Bytes/avg, 1)
	// Spread the records over about five months, or, for a large file, as
	// far as it takes to keep to a phone's pace: records a mean of
	// minGap apart, about 150 a day outside the night (a 200 MB file
	// spans about ten years). Most of those that fall at night are dropped.
	g.gap = max(150*24*time.Hour*6/10/time.Duration(est), minGap)

	var written int64
	flush := func() error {
		n, err := w.Write(g.b)
		written += int64(n)
		g.b = g.b[:0]
		return err
	}
	g.header(count)
	if err := flush(); err != nil {
		return written, err
	}
	body := written
	var recs int64
	for count >= 0 && recs < count || count < 0 && written+int64(len(g.b))-body < o.Bytes-footerSize {
		g.record()
		recs++
		if len(g.b) >= 32<<10 {
			if err := flush(); err != nil {
				return written, err
			}
		}
	}
	g.footer()
	if err := flush(); err != nil {
		return written, err
	}
	if count < 0 {
		return recs, nil
	}
	return written, nil
}

// minGap is the least mean time between two records Generate writes: a busy
// phone's pace, so that a large file is a long history rather than an
// impossibly dense one (thousands of collection calls a day).
const minGap = 5 * time.Minute

// footerSize is about the size of the header and the footer.
const footerSize = 400

func (g *gen) intn(n int) int         { return int(g.src.Uint64() % uint64(n)) }
func (g *gen) float() float64         { return float64(g.src.Uint64()>>11) / (1 << 53) }
func (g *gen) chance(p float64) bool  { return g.float() < p }
func (g *gen) pick(s []string) string { return s[g.intn(len(s))] }

func (g *gen) header(count int64) {
	if count < 0 {
		count = 0
	}
	date := g.Start.Add(200 * 24 * time.Hour)
	switch g.Format {
	case FormatCSV:
		g.b = append(g.b, "time,number,direction,kind,text,duration,outcome,name\n"...)
		return
	case FormatSMSXML:
		g.b = append(g.b, "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<!--File Created By SMS Backup & Restore v10.20.002 on "...)
		g.b = date.In(shanghai).AppendFormat(g.b, "02/01/2006 15:04:05")
		g.b = append(g.b, "-->\n<?xml-stylesheet type=\"text/xsl\" href=\"sms.xsl\"?>\n<smses count=\""...)
	case FormatCallXML:
		g.b = append(g.b, "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<!--File Created By SMS Backup & Restore v10.20.002 on "...)
		g.b = date.In(shanghai).AppendFormat(g.b, "02/01/2006 15:04:05")
		g.b = append(g.b, "-->\n<?xml-stylesheet type=\"text/xsl\" href=\"calls.xsl\"?>\n<calls count=\""...)
	}
	g.b = strconv.AppendInt(g.b, count, 10)
	g.b = fmt.Appendf(g.b, "\" backup_set=\"%08x-0000-4000-8000-%012x\" backup_date=\"%d\" type=\"full\">\n",
		uint32(g.Seed), uint64(g.Seed)&(1<<48-1), date.UnixMilli())
}

func (g *gen) footer() {
	switch g.Format {
	case FormatSMSXML:
		g.b = append(g.b, "</smses>\n"...)
	case FormatCallXML:
		g.b = append(g.b, "</calls>\n"...)
	}
}

// genEvent is one generated call or message.
type genEvent struct {
	call       bool
	in         bool
	number     string
	name       string // "" for an unknown number
	text       string
	secs       int
	typ        int // SMS Backup's call type
	collection bool
	mms        bool
}

// friendNumber is the number of synthetic friend i.
func friendNumber(i int) string {
	if i%5 == 4 {
		return "+12025550" + strconv.Itoa(100+i%100) // +1 202 555 01xx
	}
	return "+861380000" + strconv.Itoa(1000+i) // +86 138 0000 xxxx
}

// next advances the clock and makes the next event.
func (g *gen) next() genEvent {
	var e genEvent
	for {
		if g.burst > 0 {
			g.burst--
			e.collection, e.number = true, g.bnum
			// Minutes apart, but not so far apart that a large file's bursts
			// take longer than its ordinary records.
			g.t = g.t.Add(min(time.Duration(3+g.intn(25))*time.Minute, time.Duration(g.float()*2*float64(g.gap))))
			break
		}
		g.t = g.t.Add(time.Duration(g.float() * 2 * float64(g.gap)))
		e.collection = g.chance(g.CollectionShare)
		// People rarely call or write at night; some collectors do.
		if h := g.t.In(shanghai).Hour(); (h >= 22 || h < 8) && !(e.collection && g.chance(0.25)) {
			continue
		}
		if e.collection {
			e.number = g.pick(g.Collectors)
			// Some days a collector calls or writes many times.
			if h := g.t.In(shanghai).Hour(); h >= 8 && h < 16 && g.chance(0.015) {
				g.burst, g.bnum = 12+g.intn(25), e.number
			}
		}
		break
	}
	switch g.Format {
	case FormatCallXML:
		e.call = true
	case FormatCSV:
		e.call = g.chance(0.4)
	default:
		e.mms = !e.collection && g.chance(0.03)
	}
	if !e.collection {
		f := g.intn(40)
		e.number = friendNumber(f)
		if f < 30 {
			e.name = "Synthetic Friend " + strconv.Itoa(f+1)
		}
		e.in = g.chance(0.55)
		if e.call {
			switch {
			case !e.in:
				e.typ, e.secs = 2, g.intn(900)
			case g.chance(0.2):
				e.typ = 3
			default:
				e.typ, e.secs = 1, 5+g.intn(1200)
			}
		} else if e.mms {
			e.text = g.pick(genMMS)
		} else {
			e.text = g.pick(genChat)
		}
		return e
	}
	e.in = true
	if e.call {
		switch x := g.intn(100); {
		case x < 40:
			e.typ, e.secs = 1, 8+g.intn(180)
		case x < 45:
			e.typ = 1 // picked up and hung up at once
		case x < 75:
			e.typ = 3
		case x < 85:
			e.typ = 5
		case x < 92:
			e.typ = 6
		case x < 98:
			e.typ = 4
		default:
			e.typ, e.secs = 7, 10+g.intn(60)
		}
		return e
	}
	if g.chance(0.2) {
		e.text = g.pick(genAbuse)
	} else {
		e.text = g.pick(genCollection)
	}
	return e
}

// record appends one record to g.b.
func (g *gen) record() {
	e := g.next()
	g.seq++
	ms := g.t.UnixMilli()
	switch g.Format {
	case FormatCSV:
		g.csvRecord(e)
	case FormatCallXML:
		g.b = append(g.b, `  <call number="`...)
		g.b = append(g.b, e.number...)
		g.b = append(g.b, `" duration="`...)
		g.b = strconv.AppendInt(g.b, int64(e.secs), 10)
		g.b = append(g.b, `" date="`...)
		g.b = strconv.AppendInt(g.b, ms, 10)
		g.b = append(g.b, `" type="`...)
		g.b = strconv.AppendInt(g.b, int64(e.typ), 10)
		g.b = append(g.b, `" presentation="1" subscription_id="89860000000000000`...)
		g.b = strconv.AppendInt(g.b, int64(100+g.seq%3), 10)
		g.b = append(g.b, `" post_dial_digits="" subscription_component_name="com.android.phone/com.android.services.telephony.TelephonyConnectionService" readable_date="`...)
		g.b = g.t.In(shanghai).AppendFormat(g.b, "Jan 2, 2006 3:04:05 PM")
		g.b = append(g.b, `" contact_name="`...)
		g.contact(e)
		g.b = append(g.b, "\" />\n"...)
	case FormatSMSXML:
		if e.mms {
			g.mms(e, ms)
			return
		}
		typ := "2"
		if e.in {
			typ = "1"
		}
		g.b = append(g.b, `  <sms protocol="0" address="`...)
		g.b = append(g.b, e.number...)
		g.b = append(g.b, `" date="`...)
		g.b = strconv.AppendInt(g.b, ms, 10)
		g.b = append(g.b, `" type="`...)
		g.b = append(g.b, typ...)
		g.b = append(g.b, `" subject="null" body="`...)
		g.b = appendXMLAttr(g.b, e.text, g.seq%2 == 0)
		g.b = append(g.b, `" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="`...)
		if e.in {
			g.b = strconv.AppendInt(g.b, ms-int64(1000+g.intn(5000)), 10)
		} else {
			g.b = append(g.b, '0')
		}
		g.b = append(g.b, `" sub_id="1" readable_date="`...)
		g.b = g.t.In(shanghai).AppendFormat(g.b, "Jan 2, 2006 3:04:05 PM")
		g.b = append(g.b, `" contact_name="`...)
		g.contact(e)
		g.b = append(g.b, "\" />\n"...)
	}
}

// contact appends the contact_name attribute's value.
func (g *gen) contact(e genEvent) {
	switch {
	case e.name != "":
		g.b = appendXMLAttr(g.b, e.name, false)
	case e.collection && g.seq%2 == 0:
		g.b = append(g.b, "null"...)
	default:
		g.b = append(g.b, "(Unknown)"...)
	}
}

func (g *gen) mms(e genEvent, ms int64) {
	box := "2"
	if e.in {
		box = "1"
	}
	g.b = append(g.b, `  <mms date="`...)
	g.b = strconv.AppendInt(g.b, ms, 10)
	g.b = append(g.b, `" rr="null" sub="null" ct_t="application/vnd.wap.multipart.related" read_status="null" seen="1" msg_box="`...)
	g.b = append(g.b, box...)
	g.b = append(g.b, `" address="`...)
	g.b = append(g.b, e.number...)
	g.b = append(g.b, `" sub_cs="null" resp_st="null" retr_st="null" d_tm="null" text_only="0" exp="null" locked="0" m_id="null" st="null" creator="com.google.android.apps.messaging" date_sent="0" read="1" m_size="null" sub_id="1" m_type="132" readable_date="`...)
	g.b = g.t.In(shanghai).AppendFormat(g.b, "Jan 2, 2006 3:04:05 PM")
	g.b = append(g.b, `" contact_name="`...)
	g.contact(e)
	g.b = append(g.b, "\">\n    <parts>\n      <part seq=\"-1\" ct=\"application/smil\" name=\"null\" chset=\"null\" cd=\"null\" fn=\"null\" cid=\"&lt;smil&gt;\" cl=\"smil.xml\" ctt_s=\"null\" ctt_t=\"null\" text=\"&lt;smil&gt;&lt;body&gt;&lt;par dur=&quot;5000ms&quot;&gt;&lt;img src=&quot;image000000.jpg&quot;/&gt;&lt;/par&gt;&lt;/body&gt;&lt;/smil&gt;\" />\n"+
		"      <part seq=\"0\" ct=\"image/jpeg\" name=\"image000000.jpg\" chset=\"null\" cd=\"null\" fn=\"null\" cid=\"&lt;image000000&gt;\" cl=\"image000000.jpg\" ctt_s=\"null\" ctt_t=\"null\" text=\"null\" data=\"/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==\" />\n"...)
	if e.text != "" {
		g.b = append(g.b, "      <part seq=\"0\" ct=\"text/plain\" name=\"null\" chset=\"106\" cd=\"null\" fn=\"null\" cid=\"&lt;text_0&gt;\" cl=\"text_0.txt\" ctt_s=\"null\" ctt_t=\"null\" text=\""...)
		g.b = appendXMLAttr(g.b, e.text, true)
		g.b = append(g.b, "\" />\n"...)
	}
	g.b = append(g.b, "    </parts>\n    <addrs>\n      <addr address=\""...)
	g.b = append(g.b, e.number...)
	g.b = append(g.b, "\" type=\"137\" charset=\"106\" />\n      <addr address=\"+8613800000000\" type=\"151\" charset=\"106\" />\n    </addrs>\n  </mms>\n"...)
}

// csvRecord appends one CSV row.
func (g *gen) csvRecord(e genEvent) {
	g.b = g.t.In(shanghai).AppendFormat(g.b, time.RFC3339)
	g.b = append(g.b, ',')
	g.b = append(g.b, e.number...)
	if e.in {
		g.b = append(g.b, ",in,"...)
	} else {
		g.b = append(g.b, ",out,"...)
	}
	if !e.call {
		g.b = append(g.b, "sms,"...)
		g.b = appendCSVField(g.b, e.text)
		g.b = append(g.b, ",,,"...)
	} else {
		g.b = append(g.b, "call,,"...)
		g.b = strconv.AppendInt(g.b, int64(e.secs), 10)
		g.b = append(g.b, ',')
		if e.in {
			o := callOutcomes[e.typ]
			if e.typ == 1 && e.secs == 0 {
				o = Missed
			}
			g.b = append(g.b, o.String()...)
		}
		g.b = append(g.b, ',')
	}
	g.b = appendCSVField(g.b, e.name)
	g.b = append(g.b, '\n')
}

// appendCSVField appends a CSV field, quoted if it must be.
func appendCSVField(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' || i == 0 && c == ' ' {
			quote = true
			break
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendXMLAttr appends s escaped as SMS Backup & Restore escapes an
// attribute value: the five XML specials as entities, a line break as
// &#10;, and, if surrogates, a character beyond U+FFFF as a pair of UTF-16
// surrogate references.
func appendXMLAttr(b []byte, s string, surrogates bool) []byte {
	for _, c := range s {
		switch c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '\n':
			b = append(b, "&#10;"...)
		case '\r':
			b = append(b, "&#13;"...)
		default:
			if surrogates && c > 0xFFFF {
				hi, lo := utf16.EncodeRune(c)
				b = append(b, "&#"...)
				b = strconv.AppendInt(b, int64(hi), 10)
				b = append(b, ";&#"...)
				b = strconv.AppendInt(b, int64(lo), 10)
				b = append(b, ';')
				continue
			}
			b = utf8.AppendRune(b, c)
		}
	}
	return b
}
