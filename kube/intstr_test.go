package kube

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestScaledValueLikeKubernetes(t *testing.T) {
	for _, v := range []IntOrString{FromInt(0), FromInt(3), FromString("25%"), FromString("0%"), FromString("100%"), FromString("33%"), FromString("150%"), FromString("x"), FromString("25")} {
		k := intstr.FromInt32(v.Int)
		if v.IsString {
			k = intstr.FromString(v.Str)
		}
		for _, n := range []int{0, 1, 3, 4, 10, 7} {
			for _, up := range []bool{true, false} {
				got, gerr := v.ScaledValue(n, up)
				want, werr := intstr.GetScaledValueFromIntOrPercent(&k, n, up)
				if got != want || (gerr == nil) != (werr == nil) {
					t.Errorf("%v of %d (up %v): %d %v; Kubernetes %d %v", v, n, up, got, gerr, want, werr)
				}
			}
		}
	}
}

func TestIntOrStringJSON(t *testing.T) {
	var v []IntOrString
	if err := json.Unmarshal([]byte(`[80, "http", "25%"]`), &v); err != nil {
		t.Fatal(err)
	}
	if v[0] != FromInt(80) || v[1] != FromString("http") || v[2].String() != "25%" {
		t.Errorf("got %+v", v)
	}
	b, _ := json.Marshal(v)
	if string(b) != `[80,"http","25%"]` {
		t.Errorf("got %s", b)
	}
}
