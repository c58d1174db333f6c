package kube

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Quantity is a Kubernetes resource quantity: cpu "500m" or "0.5",
// memory "128Mi", "1G" or "1e9", storage "2Gi". It parses what
// k8s.io/apimachinery's resource.ParseQuantity parses, to the same value
// (rounded up to a nano-unit, binary values capped at 2^63-1), and
// prints it in Kubernetes' canonical form ("1.5Gi" is "1536Mi", "0.5" is
// "500m"). The zero Quantity is 0.
type Quantity struct {
	v      *big.Rat // nil is 0
	format byte     // 'b' binary (Ki), 'd' decimal (k), 'e' exponent (e3)
	s      string   // as written, when Kubernetes keeps that as its canonical form
}

// ErrQuantity is what a malformed quantity's error wraps.
var ErrQuantity = errors.New("not a valid quantity")

// ParseQuantity parses a quantity: a decimal number with an optional
// sign and an optional suffix: a binary one (Ki Mi Gi Ti Pi Ei, powers
// of 1024), a decimal one (n u m "" k M G T P E) or an exponent (e3,
// E-2).
func ParseQuantity(s string) (Quantity, error) {
	bad := func(why string) (Quantity, error) {
		return Quantity{}, fmt.Errorf("%q is %w: %s", s, ErrQuantity, why)
	}
	if s == "" {
		return bad("it is empty")
	}
	if s == "0" {
		return Quantity{format: 'd', s: s}, nil
	}
	neg, num, denom, suffix, ok := splitQuantity(s)
	digits := num != "" || denom != ""
	if num == "" {
		num = "0"
	}
	if !ok {
		if unit := strings.TrimLeft(s, "+-.0123456789"); unit != s && unit != "" && strings.Trim(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			return bad(unitHint(unit))
		}
		return bad("write a number and an optional unit, such as 500m, 1, 128Mi or 1G")
	}
	base, exp, format, ok := quantitySuffix(suffix)
	if !ok {
		return bad(unitHint(suffix))
	}
	v, _ := new(big.Rat).SetString(num + "." + denom + "0")
	if neg {
		v.Neg(v)
	}
	if exp != 0 {
		p := new(big.Int).Exp(big.NewInt(int64(base)), big.NewInt(int64(absInt(exp))), nil)
		f := new(big.Rat).SetInt(p)
		if exp > 0 {
			v.Mul(v, f)
		} else {
			v.Quo(v, f)
		}
	}
	// Kubernetes rounds up, away from zero, to a nano-unit, and caps
	// binary quantities at the largest int64.
	nano := big.NewRat(1, 1e9)
	if q := new(big.Rat).Quo(v, nano); !q.IsInt() {
		n := ceilAbs(q)
		v.Mul(new(big.Rat).SetInt(n), nano)
	}
	if format == 'b' {
		if limit := new(big.Rat).SetInt64(math.MaxInt64); v.Cmp(limit) > 0 {
			v = limit
		} else if limit.Neg(limit); v.Cmp(limit) < 0 {
			v = limit
		}
		if v.Sign() != 0 && new(big.Rat).Abs(v).Cmp(big.NewRat(1, 1)) < 0 {
			format = 'd'
		}
	}
	q := Quantity{v: v, format: format}
	if v.Sign() == 0 {
		q.v = nil
	}
	fast, keep := fastPath(num, denom, exp, format)
	if !fast && !digits {
		return bad("there is no number in it")
	}
	if keep {
		q.s = s
	}
	return q, nil
}

// fastPath follows the fast path of apimachinery's ParseQuantity: fast
// says whether it is taken, keep whether it keeps the string as written
// ("1.", "+1", "1E3"), deeming it canonical.
func fastPath(num, denom string, exp int, format byte) (fast, keep bool) {
	num = strings.TrimLeft(num, "0")
	if num == "" {
		num = "0"
	}
	scale, precision, mantissa := 0, 0, int64(1)
	switch format {
	case 'b':
		if exp < 0 || denom != "" {
			return false, false
		}
		mantissa = 1 << exp
		precision = 15 - len(num) - int(float32(exp)*3/10) - 1
	default:
		scale = exp
		precision = 18 - len(num) - len(denom)
	}
	if precision < 0 {
		return false, false
	}
	scale -= len(denom)
	if scale < -9 {
		return false, false
	}
	shifted := num + denom
	value, err := strconv.ParseInt(shifted, 10, 64)
	if err != nil {
		return false, false
	}
	if value != 0 && (value*mantissa)/mantissa != value {
		return false, false
	}
	if format == 'b' {
		return true, exp%10 == 0 && value&0x07 != 0
	}
	return true, scale%3 == 0 && !strings.HasSuffix(shifted, "000") && shifted[0] != '0'
}

// MustParseQuantity is ParseQuantity for constants: it panics on error.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// splitQuantity follows apimachinery's parseQuantityString; num and
// denom are the digits before and after the point, "" for none.
func splitQuantity(s string) (neg bool, num, denom, suffix string, ok bool) {
	pos, end := 0, len(s)
	switch s[0] {
	case '-':
		neg = true
		pos++
	case '+':
		pos++
	}
	digits := func(from int) int {
		for from < end && s[from] >= '0' && s[from] <= '9' {
			from++
		}
		return from
	}
	i := digits(pos)
	num = s[pos:i] // "" for none
	pos = i
	if pos < end && s[pos] == '.' {
		i = digits(pos + 1)
		denom = s[pos+1 : i]
		pos = i
	}
	start := pos
	for pos < end && strings.IndexByte("eEinumkKMGTP", s[pos]) >= 0 {
		pos++
	}
	if pos < end && (s[pos] == '-' || s[pos] == '+') {
		pos++
	}
	if digits(pos) != end {
		return false, "", "", "", false
	}
	return neg, num, denom, s[start:], true
}

var binarySuffixes = []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
var decimalSuffixes = map[string]int{"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}

func quantitySuffix(s string) (base, exp int, format byte, ok bool) {
	if e, ok := decimalSuffixes[s]; ok {
		return 10, e, 'd', true
	}
	for i, b := range binarySuffixes[1:] {
		if s == b {
			return 2, 10 * (i + 1), 'b', true
		}
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		e, err := strconv.ParseInt(s[1:], 10, 32)
		if err != nil {
			return 0, 0, 0, false
		}
		return 10, int(e), 'e', true
	}
	return 0, 0, 0, false
}

// unitHint explains an unknown unit, guessing at bytes ("MB": M or Mi).
func unitHint(unit string) string {
	msg := "unknown unit " + strconv.Quote(unit)
	if u := strings.TrimRight(unit, "bB"); u != unit && u != "" {
		u = strings.ToUpper(u[:1])
		if u == "K" {
			u = "k"
		}
		if strings.Contains("KMGTPE", strings.ToUpper(u)) {
			return msg + "; for bytes write " + u + " (powers of 1000) or " + strings.ToUpper(u) + "i (powers of 1024), with no B"
		}
	}
	return msg + "; units are Ki Mi Gi Ti Pi Ei (powers of 1024), m k M G T P E (powers of 1000), and exponents such as e3"
}

func absInt(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// ceilAbs rounds r away from zero to an integer.
func ceilAbs(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(int64(r.Sign())))
	}
	return q
}

func (q Quantity) rat() *big.Rat {
	if q.v == nil {
		return new(big.Rat)
	}
	return q.v
}

// IsZero says whether q is 0.
func (q Quantity) IsZero() bool { return q.v == nil || q.v.Sign() == 0 }

// Sign is -1, 0 or 1.
func (q Quantity) Sign() int { return q.rat().Sign() }

// Cmp compares q and o: -1, 0 or 1.
func (q Quantity) Cmp(o Quantity) int { return q.rat().Cmp(o.rat()) }

// Value is q rounded up, away from zero, to a whole number: bytes for
// memory, cores for cpu. It is capped at the int64 range.
func (q Quantity) Value() int64 { return q.scaled(1) }

// MilliValue is q in thousandths, rounded up away from zero: millicores
// for cpu.
func (q Quantity) MilliValue() int64 { return q.scaled(1000) }

func (q Quantity) scaled(by int64) int64 {
	n := ceilAbs(new(big.Rat).Mul(q.rat(), new(big.Rat).SetInt64(by)))
	if !n.IsInt64() {
		if n.Sign() < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return n.Int64()
}

// String is q in Kubernetes' canonical form: no fractional digits, the
// largest suffix that keeps the value exact, in the format it was
// written in (binary falls back to decimal when not a whole number).
func (q Quantity) String() string {
	if q.s != "" {
		return q.s
	}
	v := q.rat()
	if v.Sign() == 0 {
		return "0"
	}
	if q.format == 'b' && v.IsInt() {
		n := new(big.Int).Set(v.Num())
		i := 0
		k := big.NewInt(1024)
		for i < len(binarySuffixes)-1 {
			d, m := new(big.Int).QuoRem(n, k, new(big.Int))
			if m.Sign() != 0 {
				break
			}
			n = d
			i++
		}
		// Kubernetes writes 1023 and less as decimal when it can.
		return n.String() + binarySuffixes[i]
	}
	// Find m * 10^e with m whole and e a multiple of 3, e as large as
	// possible, down to -9 (nano).
	e := -9
	m := new(big.Rat).Mul(v, big.NewRat(1e9, 1)).Num() // whole, as v is in nano-units
	ten3 := big.NewInt(1000)
	for e < 18 || q.format == 'e' {
		d, r := new(big.Int).QuoRem(m, ten3, new(big.Int))
		if r.Sign() != 0 {
			break
		}
		m = d
		e += 3
	}
	if q.format == 'e' {
		if e == 0 {
			return m.String()
		}
		return m.String() + "e" + strconv.Itoa(e)
	}
	for s, x := range decimalSuffixes {
		if x == e {
			return m.String() + s
		}
	}
	return m.String() // not reached
}

// MarshalJSON writes q as a JSON string in canonical form.
func (q Quantity) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(q.String())), nil
}

// UnmarshalJSON reads a string ("128Mi") or a number (0.5), as
// Kubernetes does.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*q = Quantity{}
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return err
		}
	}
	p, err := ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = p
	return nil
}
