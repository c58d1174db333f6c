package kube

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrString is a field that takes a number or a string: a port
// (8080, or a container port's name such as "http"), or a rolling
// update's maxSurge (1, or "25%"). It is k8s.io/apimachinery's
// intstr.IntOrString, as JSON.
type IntOrString struct {
	IsString bool
	Int      int32
	Str      string
}

// FromInt is the number i.
func FromInt(i int32) IntOrString { return IntOrString{Int: i} }

// FromString is the string s.
func FromString(s string) IntOrString { return IntOrString{IsString: true, Str: s} }

// String is the number in decimal, or the string.
func (v IntOrString) String() string {
	if v.IsString {
		return v.Str
	}
	return strconv.Itoa(int(v.Int))
}

// IsZero says whether v is 0 or "", which Kubernetes takes as absent.
func (v IntOrString) IsZero() bool { return v.Int == 0 && v.Str == "" }

// MarshalJSON writes a JSON number or string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.IsString {
		return json.Marshal(v.Str)
	}
	return json.Marshal(v.Int)
}

// UnmarshalJSON reads a JSON number or string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*v = IntOrString{IsString: true}
		return json.Unmarshal(b, &v.Str)
	}
	*v = IntOrString{}
	return json.Unmarshal(b, &v.Int)
}

// ScaledValue is v for a total of n: a number as it is, a percentage
// ("25%") of n, rounded up if roundUp and down otherwise, as
// Kubernetes' intstr.GetScaledValueFromIntOrPercent does for maxSurge
// (up) and maxUnavailable (down).
func (v IntOrString) ScaledValue(n int, roundUp bool) (int, error) {
	if !v.IsString {
		return int(v.Int), nil
	}
	p, ok := strings.CutSuffix(v.Str, "%")
	pct, err := strconv.Atoi(p)
	if !ok || err != nil {
		return 0, fmt.Errorf("invalid value for IntOrString: invalid value %q: must be a number or a percentage such as \"25%%\"", v.Str)
	}
	x := float64(pct) * float64(n) / 100
	if roundUp {
		return int(math.Ceil(x)), nil
	}
	return int(math.Floor(x)), nil
}
