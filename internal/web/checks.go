package web

import (
	"encoding/json"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/store"
)

// checkRunsShown is how many runs the Checks tab lists.
const checkRunsShown = 100

type checksData struct {
	Runs []store.CheckRun
}

// checksPage lists the organization's check runs, newest first.
func (h *Handler) checksPage(w http.ResponseWriter, r *http.Request, c *call) error {
	runs, err := h.svc.ListCheckRuns(r.Context(), c.principal(), c.org.ID, checkRunsShown)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "checks", h.page(w, r, c, "Checks · "+c.org.Name, "checks", checksData{Runs: runs}))
}

type checkRunData struct {
	Run     store.CheckRun
	Summary *checker.Summary
	Results []resultRow
}

// resultRow is a stored check result as the page shows it.
type resultRow struct {
	store.CheckResult
	Confidence string
	Refined    bool
	Evidence   checker.Evidence
}

// checkRunPage shows a check run and its results.
func (h *Handler) checkRunPage(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "run")
	if !ok {
		return store.ErrNotFound
	}
	run, results, err := h.svc.GetCheckRun(r.Context(), c.principal(), c.org.ID, id)
	if err != nil {
		return err
	}
	d := checkRunData{Run: run, Summary: parseSummary(run.Summary)}
	for _, res := range results {
		row := resultRow{CheckResult: res}
		var detail struct {
			Confidence string           `json:"confidence"`
			Refined    bool             `json:"refined"`
			Evidence   checker.Evidence `json:"evidence"`
		}
		if json.Unmarshal([]byte(res.Detail), &detail) == nil {
			row.Confidence, row.Refined, row.Evidence = detail.Confidence, detail.Refined, detail.Evidence
		}
		d.Results = append(d.Results, row)
	}
	d.Results = finalResults(d.Results)
	return h.render(w, http.StatusOK, "checkrun", h.page(w, r, c, "Check run #"+itoa(run.ID)+" · "+c.org.Name, "checks", d))
}

// finalResults drops the provisional results a refined one replaced (same user and
// check), keeping the order of first appearance.
func finalResults(rows []resultRow) []resultRow {
	type key struct{ user, check string }
	index := map[key]int{}
	var out []resultRow
	for _, row := range rows {
		k := key{row.User, row.Check}
		if i, ok := index[k]; ok && row.Refined {
			out[i] = row
			continue
		}
		index[k] = len(out)
		out = append(out, row)
	}
	return out
}
