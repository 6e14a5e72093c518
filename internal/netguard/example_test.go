package netguard_test

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/mailbridge/mailbridge/internal/netguard"
)

func ExampleValidateEndpointURL() {
	for _, raw := range []string{
		"https://mail.contoso.com/EWS/Exchange.asmx",
		"https://svc-mailbridge:Passw0rd@mail.contoso.com/EWS/Exchange.asmx",
		"https://10.0.0.5/EWS/Exchange.asmx",
		"http://localhost:8080/EWS/Exchange.asmx",
	} {
		if _, err := netguard.ValidateEndpointURL(raw, netguard.Policy{}); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("ok")
	}
	// Output:
	// ok
	// invalid endpoint URL: the URL contains a user name or password; remove them and enter the password in the password field
	// invalid endpoint URL: address 10.0.0.5 is in a private network range (10.0.0.0/8); an operator can allow private endpoints with --allow-private-endpoints
	// invalid endpoint URL: plain http is refused; use https (http is allowed only when an operator allows private endpoints with --allow-private-endpoints, for a local simulator)
}

// An HTTP client for admin-entered endpoints checks every address it connects to,
// after DNS resolution, redirects included.
func ExamplePolicy_DialContext() {
	policy := netguard.Policy{AllowPrivate: false} // from --allow-private-endpoints
	client := &http.Client{
		Transport: &http.Transport{
			Proxy:       nil, // a proxy would be the address checked; see the package documentation
			DialContext: policy.DialContext(&net.Dialer{Timeout: 30 * time.Second}),
		},
	}
	_ = client
}
