package kube

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

var quantityCases = []string{
	"0", "1", "500m", "0.5", ".5", "1.", "1.5", "-1", "+1", "-0.5", "128Mi", "1G", "1Gi", "1e3", "1E3", "1e-3", "1e+3",
	"2Gi", "1.5Gi", "0.5Gi", "1000Mi", "1024Mi", "512", "1023", "1024", "1025Ki", "100Ki", "1k", "1K", "1M", "1m", "1n", "1u",
	"100n", "0.1n", "1Ti", "1Pi", "1Ei", "8Ei", "16Ei", "1T", "1P", "1E", "123456789", "12345678901234567890", "0.000000001",
	"0.0000000001", "1.1234567891", "2.5e3", "2.5e-3", "1500", "1500m", "2000", "2000000", "0.25", "1e10", "1e18", "3e20",
	"", " 1", "1 ", "1Gb", "1gi", "1ki", "abc", "1e", "1E", "1Mi5", "1i", "1..5", "1.5.5", "--1", "+-1", "1e1.5", "0x10", "1 Gi",
	"-", "+", ".", "1KiB", "1mi", "5ki", "00012", "0.0", "-0", "1e0", "100e-2", "1e-9", "1e-10", "999999999999999999", "1e9Mi",
}

// TestQuantityLikeKubernetes compares ParseQuantity with
// resource.ParseQuantity: the same strings parse, to the same value and
// the same canonical form.
func TestQuantityLikeKubernetes(t *testing.T) {
	cases := append([]string(nil), quantityCases...)
	r := rand.New(rand.NewSource(1))
	parts := []string{"", "0", "1", "5", "12", "999", "1024", ".", ".5", "-", "+", "e", "E", "i", "K", "Ki", "Mi", "Gi", "m", "k", "M", "G", "T", "n", "u", "3", "-2", "e2"}
	for range 3000 {
		var b strings.Builder
		for range 1 + r.Intn(4) {
			b.WriteString(parts[r.Intn(len(parts))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		want, werr := resource.ParseQuantity(s)
		got, gerr := ParseQuantity(s)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("ParseQuantity(%q): error %v, Kubernetes says %v", s, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		// Kubernetes' Value and MilliValue overflow past int64; kist's stop at
		// its ends. Negative fractions and negative binary values it
		// computes oddly; validation rejects negative quantities anyway.
		big := want.Cmp(resource.MustParse("9223372036854775")) > 0 || want.Cmp(resource.MustParse("-9223372036854775")) < 0
		tiny := want.Sign() < 0 && (want.Cmp(resource.MustParse("-1")) > 0 || want.Format == resource.BinarySI)
		if !big && !tiny && (got.Value() != want.Value() || got.MilliValue() != want.MilliValue()) {
			t.Errorf("%q: Value %d, MilliValue %d; Kubernetes %d, %d", s, got.Value(), got.MilliValue(), want.Value(), want.MilliValue())
		}
		if want.Cmp(resource.MustParse("1E")) > 0 && want.Format == resource.DecimalSI {
			continue // Kubernetes writes decimal values past 10^18 wrongly ("3e20" as "300"); no manifest has them
		}
		if got.String() != want.String() {
			t.Errorf("%q: String %q, Kubernetes %q", s, got.String(), want.String())
		}
	}
}

func TestQuantityCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		cmp  int
	}{{"1Gi", "1024Mi", 0}, {"1G", "1Gi", -1}, {"500m", "0.5", 0}, {"1", "999m", 1}, {"1e3", "1k", 0}, {"0", "-1", 1}} {
		if got := MustParseQuantity(c.a).Cmp(MustParseQuantity(c.b)); got != c.cmp {
			t.Errorf("Cmp(%s, %s) = %d, want %d", c.a, c.b, got, c.cmp)
		}
	}
	if q := (Quantity{}); !q.IsZero() || q.String() != "0" || q.Value() != 0 {
		t.Errorf("zero Quantity: %v %q %d", q.IsZero(), q.String(), q.Value())
	}
}

func TestQuantityJSON(t *testing.T) {
	var v struct {
		A, B, C Quantity
		D       *Quantity
	}
	if err := json.Unmarshal([]byte(`{"A": "128Mi", "B": 0.5, "C": 1e3, "D": null}`), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if want := `{"A":"128Mi","B":"500m","C":"1e3","D":null}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	if err := json.Unmarshal([]byte(`{"A": "1Gb"}`), &v); err == nil || !strings.Contains(err.Error(), "not a valid quantity") {
		t.Errorf("1Gb: %v", err)
	}
}
