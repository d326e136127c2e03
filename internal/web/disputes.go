package web

import (
	"io"
	"net/http"
	"net/url"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// evidenceFiles reads the files of a multipart form's evidence field, at most
// MaxEvidenceFiles of at most MaxEvidenceSize (the service checks them again).
func evidenceFiles(r *http.Request) ([]collection.EvidenceFile, error) {
	var out []collection.EvidenceFile
	if r.MultipartForm == nil {
		return nil, nil
	}
	for _, fh := range r.MultipartForm.File["evidence"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // the browser's empty file input
		}
		if len(out) == collection.MaxEvidenceFiles {
			return nil, &collection.Error{Kind: collection.Invalid, Field: "evidence", EN: "at most 5 files", ZH: "最多 5 个文件"}
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, collection.MaxEvidenceSize+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, collection.EvidenceFile{Name: fh.Filename, Data: data})
	}
	return out, nil
}

// answerDispute answers a borrower's dispute from the case page, with evidence.
func (s *Server) answerDispute(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	files, err := evidenceFiles(r)
	if err == nil {
		_, err = s.svc.AnswerDispute(r.Context(), p, r.PathValue("id"), r.PostFormValue("text"), files)
	}
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	s.backToCase(w, r, "")
}

// disputeEvidence downloads a file of a dispute's answer.
func (s *Server) disputeEvidence(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	ev, data, err := s.svc.DisputeEvidence(r.Context(), p, r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	sendEvidence(w, ev, data)
}

// sendEvidence writes an evidence file as an attachment no browser renders in
// the page.
func sendEvidence(w http.ResponseWriter, ev *collection.Evidence, data []byte) {
	h := w.Header()
	h.Set("Content-Type", ev.Type)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Disposition", `attachment; filename*=UTF-8''`+url.PathEscape(ev.Name))
	_, _ = w.Write(data)
}
