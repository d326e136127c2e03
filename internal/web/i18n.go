package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/fairdebt/fairdebt/internal/collection"
)

//go:embed locales/*.json
var localeFS embed.FS

// The UI's languages; the first is the default.
var languages = []language.Tag{language.Chinese, language.English}

var matcher = language.NewMatcher(languages)

func newBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, f := range []string{"locales/active.zh.json", "locales/active.en.json"} {
		if _, err := b.LoadMessageFileFS(localeFS, f); err != nil {
			return nil, fmt.Errorf("web: %s: %w", f, err)
		}
	}
	return b, nil
}

// langOf picks the request's language, "zh" or "en": the language cookie (set by
// the switch in every page's header, and at sign-in to the user's own choice),
// else the signed-in user's choice, else the browser's Accept-Language, else
// Chinese.
func langOf(r *http.Request, p *collection.Principal) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	if p != nil && (p.Lang == "zh" || p.Lang == "en") {
		return p.Lang
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "zh"
	}
	_, i, _ := matcher.Match(tags...)
	if languages[i] == language.English {
		return "en"
	}
	return "zh"
}

func (s *Server) localizer(r *http.Request, p *collection.Principal) *i18n.Localizer {
	return i18n.NewLocalizer(s.bundle, langOf(r, p))
}

// tr translates a message; a missing one shows its id, so that it is noticed (a
// test checks both files hold the same ids).
func tr(loc *i18n.Localizer, id string) string { return trData(loc, id, nil) }

func trData(loc *i18n.Localizer, id string, data map[string]any) string {
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}
