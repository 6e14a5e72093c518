// Package e2e drives the admin panel in a real Chromium (Debian's /usr/bin/chromium,
// through chromedp) against `mailbridge demo` assembled in-process: the seed's whole
// setup flow, end to end. Screenshots of each step are written to
// test/e2e/artifacts/ (or $MAILBRIDGE_ARTIFACTS). `make test` installs chromium.
package e2e
