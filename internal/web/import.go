package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// The lender's debt import: a CSV file, one debt per row, each row imported or
// rejected on its own (a bad row never stops the good ones), with a progress page
// that refreshes itself (no JavaScript needed) and a report of every rejected row.
//
// Each row is its own writes: a crash part-way keeps the rows already imported,
// and running the same file again rejects those as duplicates and imports the
// rest.

// importColumns are the CSV's columns; the header row must name them (in any
// order; agency_id and case_id may be left empty or out).
var importColumns = []string{"lender_id", "borrower_id", "name", "timezone", "phone", "debt_id", "currency", "amount", "due_date", "agency_id", "case_id"}

var requiredColumns = []string{"lender_id", "borrower_id", "name", "timezone", "phone", "debt_id", "currency", "amount", "due_date"}

// maxImportBytes bounds an upload; maxImportRows the rows of one file.
const (
	maxImportBytes = 10 << 20
	maxImportRows  = 50_000
)

// rowError is why a row was rejected, in English and Chinese.
type rowError struct {
	Line          int
	Field, EN, ZH string
}

func bad(field, en, zh string) *rowError { return &rowError{Field: field, EN: en, ZH: zh} }

type importJob struct {
	mu       sync.Mutex
	owner    string // the user who uploaded it: nobody else sees it
	file     string
	total    int
	done     int
	imported int
	rejected []rowError // in file order
	finished bool
}

// importView is a snapshot of a job for its page.
type importView struct {
	ID, File                       string
	Total, Done, Imported, Percent int
	Finished                       bool
	Rejected                       []rowError
}

type importPage struct {
	page
	Job     *importView
	Columns string
}

// jobs keeps the recent imports in memory (a restart forgets their reports).
type jobs struct {
	mu    sync.Mutex
	byID  map[string]*importJob
	order []string
}

func (j *jobs) add(id string, job *importJob) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.byID == nil {
		j.byID = map[string]*importJob{}
	}
	j.byID[id] = job
	j.order = append(j.order, id)
	if len(j.order) > 100 {
		delete(j.byID, j.order[0])
		j.order = j.order[1:]
	}
}

func (j *jobs) get(id string) *importJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.byID[id]
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if !p.Can(collection.ActManage) {
		s.serviceError(w, r, errNeedManage)
		return
	}
	loc := s.localizer(r, &p)
	s.render(w, r, http.StatusOK, "import", &importPage{page: page{Title: tr(loc, "import.title"), User: viewOf(p),
		CSRF: s.svc.CSRFToken(session)}, Columns: strings.Join(importColumns, ",")})
}

var errNeedManage = &collection.Error{Kind: collection.Forbidden, EN: "only the lender's administrators may import debts",
	ZH: "仅贷款机构管理员可以导入债务"}

// importUpload reads the CSV, checks its header, and starts importing its rows in
// the background; the browser is sent to the job's progress page.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if !p.Can(collection.ActManage) {
		s.serviceError(w, r, errNeedManage)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+64<<10)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.serviceError(w, r, &collection.Error{Kind: collection.Invalid, Field: "file", EN: "choose a CSV file of at most 10 MB",
			ZH: "请选择不超过 10 MB 的 CSV 文件"})
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	if err != nil || len(data) > maxImportBytes {
		s.serviceError(w, r, &collection.Error{Kind: collection.Invalid, Field: "file", EN: "the file is larger than 10 MB",
			ZH: "文件超过 10 MB"})
		return
	}
	rows, err := parseImport(data)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	job := &importJob{owner: p.UserID, file: hdr.Filename, total: len(rows)}
	id := randomToken()[:16]
	s.jobs.add(id, job)
	go s.runImport(p, job, rows)
	http.Redirect(w, r, "/import/"+id, http.StatusSeeOther)
}

// importRow is one data row of the file, by column name, with its line number.
type importRow struct {
	line   int
	fields map[string]string
}

// parseImport reads the CSV (UTF-8, a byte-order mark tolerated) and checks its
// header; rows are checked one by one as they are imported.
func parseImport(data []byte) ([]importRow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, &collection.Error{Kind: collection.Invalid, Field: "file", EN: "the file has no header row: " + err.Error(),
			ZH: "文件缺少表头行：" + err.Error()}
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(importColumns, h) {
			return nil, &collection.Error{Kind: collection.Invalid, Field: "file", EN: fmt.Sprintf("unknown column %q (the columns are %s)", h, strings.Join(importColumns, ", ")),
				ZH: fmt.Sprintf("未知的列 %q（可用的列：%s）", h, strings.Join(importColumns, ", "))}
		}
		index[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := index[c]; !ok {
			return nil, &collection.Error{Kind: collection.Invalid, Field: "file", EN: fmt.Sprintf("the header lacks the column %s", c),
				ZH: fmt.Sprintf("表头缺少列 %s", c)}
		}
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := 0
		if err == nil {
			line, _ = cr.FieldPos(0)
		}
		if len(rows) >= maxImportRows {
			return nil, &collection.Error{Kind: collection.Invalid, Field: "file", EN: fmt.Sprintf("more than %d rows; split the file", maxImportRows),
				ZH: fmt.Sprintf("超过 %d 行，请拆分文件", maxImportRows)}
		}
		row := importRow{line: line, fields: map[string]string{}}
		if err != nil {
			// A malformed line is rejected like any bad row; the rest still count.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				row.line = pe.Line
			}
			row.fields["_error"] = err.Error()
			rows = append(rows, row)
			continue
		}
		for name, i := range index {
			if i < len(rec) {
				row.fields[name] = strings.TrimSpace(rec[i])
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

var amountPattern = regexp.MustCompile(`^\d{1,12}(\.\d{1,2})?$`)

// minorUnits reads "1234.5" as 123450.
func minorUnits(s string) (int64, bool) {
	if !amountPattern.MatchString(s) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	return v, err == nil && v > 0
}

// runImport imports the rows one by one, as p, noting progress in job.
func (s *Server) runImport(p collection.Principal, job *importJob, rows []importRow) {
	ctx := context.Background()
	for _, row := range rows {
		rejected := s.importOne(ctx, p, row)
		job.mu.Lock()
		job.done++
		if rejected != nil {
			rejected.Line = row.line
			job.rejected = append(job.rejected, *rejected)
		} else {
			job.imported++
		}
		job.mu.Unlock()
	}
	job.mu.Lock()
	job.finished = true
	job.mu.Unlock()
	s.log.Info("debt import finished", "user", p.Name, "file", job.file, "rows", job.total, "imported", job.imported, "rejected", len(job.rejected))
}

// importOne imports a row: the borrower (unless it exists), the debt, and the case
// when an agency is named. It returns why the row is rejected, or nil; nothing of
// a rejected row is written, except in the rare failure of a later write after an
// earlier one.
func (s *Server) importOne(ctx context.Context, p collection.Principal, row importRow) *rowError {
	f := row.fields
	if msg, malformed := f["_error"]; malformed {
		return bad("", "malformed CSV line: "+msg, "CSV 行格式错误："+msg)
	}
	both := func(e *collection.Error) *rowError { return bad(e.Field, e.EN, e.ZH) }
	for _, c := range requiredColumns {
		if f[c] == "" {
			return bad(c, "required", "必填")
		}
	}
	if _, err := time.LoadLocation(f["timezone"]); err != nil || !strings.Contains(f["timezone"], "/") {
		return bad("timezone", "not an IANA time zone such as Asia/Shanghai", "不是有效的 IANA 时区（如 Asia/Shanghai）")
	}
	amount, ok := minorUnits(f["amount"])
	if !ok {
		return bad("amount", "must be a positive amount with at most two decimals, such as 1234.56", "须为正数金额，最多两位小数，如 1234.56")
	}
	if _, err := time.Parse("2006-01-02", f["due_date"]); err != nil {
		return bad("due_date", "must be a date as YYYY-MM-DD", "日期格式须为 YYYY-MM-DD")
	}
	if _, err := s.svc.Debt(ctx, p, f["debt_id"]); err == nil {
		return bad("debt_id", "a debt with this id exists already", "该债务编号已存在")
	}
	if a := f["agency_id"]; a != "" {
		ag, err := s.svc.Agency(ctx, p, a)
		if err != nil {
			return bad("agency_id", "no such agency", "未找到该催收机构")
		}
		if !ag.Approved {
			return bad("agency_id", "the agency is not on the approved list", "该催收机构不在准入名单上")
		}
	}
	var e *collection.Error
	if _, err := s.svc.Borrower(ctx, p, f["borrower_id"]); collection.IsKind(err, collection.NotFound) {
		_, err := s.svc.CreateBorrower(ctx, p, collection.BorrowerInput{ID: f["borrower_id"], LenderID: f["lender_id"], Name: f["name"],
			Timezone: f["timezone"], ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: f["phone"]}}})
		if errors.As(err, &e) {
			return both(e)
		}
		if err != nil {
			return bad("", err.Error(), err.Error())
		}
	}
	_, err := s.svc.CreateDebt(ctx, p, collection.DebtInput{ID: f["debt_id"], BorrowerID: f["borrower_id"], Currency: strings.ToUpper(f["currency"]),
		Principal: amount, Installments: []collection.InstallmentInput{{DueDate: f["due_date"], Amount: amount}}})
	if errors.As(err, &e) {
		return both(e)
	}
	if err != nil {
		return bad("", err.Error(), err.Error())
	}
	if a := f["agency_id"]; a != "" {
		_, err := s.svc.CreateCase(ctx, p, collection.CaseInput{ID: f["case_id"], DebtID: f["debt_id"], AgencyID: a})
		if errors.As(err, &e) {
			return both(e)
		}
		if err != nil {
			return bad("", err.Error(), err.Error())
		}
	}
	return nil
}

// importStatus shows a job: its progress, refreshing itself every second while it
// runs, then its report. Only the person who uploaded it sees it.
func (s *Server) importStatus(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	job := s.jobs.get(r.PathValue("id"))
	if job == nil || job.owner != p.UserID || p.UserID == "" {
		s.notFound(w, r)
		return
	}
	job.mu.Lock()
	v := &importView{ID: r.PathValue("id"), File: job.file, Total: job.total, Done: job.done, Imported: job.imported,
		Finished: job.finished, Rejected: append([]rowError(nil), job.rejected...)}
	job.mu.Unlock()
	if v.Total > 0 {
		v.Percent = 100 * v.Done / v.Total
	} else {
		v.Percent = 100
	}
	loc := s.localizer(r, &p)
	s.render(w, r, http.StatusOK, "import", &importPage{page: page{Title: tr(loc, "import.title"), User: viewOf(p),
		CSRF: s.svc.CSRFToken(session), Refresh: !v.Finished}, Job: v, Columns: strings.Join(importColumns, ",")})
}
