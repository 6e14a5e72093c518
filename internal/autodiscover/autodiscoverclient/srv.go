package autodiscoverclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// srv looks up _autodiscover._tcp.<domain> and returns the POX URL of the most
// preferred record on port 443 (lowest priority, then highest weight), or "". The
// answer is remembered per domain.
func (r *run) srv(ctx context.Context, domain string) string {
	if u, ok := r.srvURL[domain]; ok {
		return u
	}
	a := Attempt{Method: MethodSRV, URL: "_autodiscover._tcp." + domain}
	start := r.opts.Now()
	u := r.lookupSRV(ctx, &a, domain)
	a.Duration = r.opts.Now().Sub(start)
	if a.Outcome == OutcomeCanceled {
		r.stop = ctx.Err()
	} else {
		r.srvURL[domain] = u
	}
	r.record(a)
	return u
}

func (r *run) lookupSRV(ctx context.Context, a *Attempt, domain string) string {
	actx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	_, records, err := r.opts.Resolver.LookupSRV(actx, "autodiscover", "tcp", domain)
	if err != nil && len(records) == 0 {
		var dnsErr *net.DNSError
		switch {
		case ctx.Err() != nil:
			a.Outcome = OutcomeCanceled
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			a.Outcome = OutcomeNotFound
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			a.Outcome = OutcomeTimeout
		default:
			a.Outcome = OutcomeError
		}
		a.Err = redactText(err.Error())
		return ""
	}
	var usable, others []*net.SRV
	for _, rec := range records {
		if rec == nil {
			continue
		}
		if rec.Port == 443 {
			usable = append(usable, rec)
		} else {
			others = append(others, rec)
		}
	}
	if len(usable) == 0 {
		a.Outcome, a.Err = OutcomeNotFound, "no SRV record"
		if len(others) > 0 {
			var list []string
			for _, rec := range others {
				list = append(list, fmt.Sprintf("%s:%d", strings.TrimSuffix(rec.Target, "."), rec.Port))
			}
			a.Err = "no SRV record on port 443 (ignored: " + strings.Join(list, ", ") + ")"
		}
		return ""
	}
	slices.SortStableFunc(usable, func(x, y *net.SRV) int {
		if x.Priority != y.Priority {
			return int(x.Priority) - int(y.Priority)
		}
		return int(y.Weight) - int(x.Weight)
	})
	target := strings.ToLower(strings.TrimSuffix(usable[0].Target, "."))
	if !validHost(target) {
		a.Outcome, a.Err = OutcomeError, fmt.Sprintf("the SRV target %q is not a host name", usable[0].Target)
		return ""
	}
	u := "https://" + target + autodiscover.POXPath
	a.Outcome, a.RedirectTo = OutcomeRedirect, u
	return u
}
