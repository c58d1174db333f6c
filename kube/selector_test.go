package kube

import (
	"math/rand"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

var labelSets = []map[string]string{
	{},
	{"app": "web"},
	{"app": "web", "tier": "db"},
	{"app": "web", "tier": "frontend", "env": "a"},
	{"app": "api", "env": "b", "x": ""},
	{"env": "c", "x": "1"},
	{"replicas": "3", "app": "web"},
	{"replicas": "10"},
	{"example.com/team": "blue", "app": "web"},
}

var selectorCases = []string{
	"", "app=web", "app==web", "app!=web", "app", "!app", "app=web,tier!=db", "app=web,tier!=db,env in (a,b),!x",
	"env in (a, b)", "env notin (a,b)", "env in ()", "env in (a,)", "env in (,a)", "env in (a,,b)", "x=", "x==", "x!=",
	"replicas>2", "replicas<5", "replicas>abc", "replicas>", " app = web , tier ", "app=web,", ",app", "app=web tier=db",
	"app in a,b", "app in (a b)", "!app=web", "!", "!!app", "app=(web)", "a=b=c", "example.com/team=blue", "Example.com/Team=blue",
	"bad key=1", "app=bad value", "app=" + strings.Repeat("v", 64), "-app=web", "app in (web", "app notin", "app=web,,tier",
	"app==", "app>=2", "app<=2", "env in (a,a,b)", "env in (b,a)", "env notin (b,,b)", "app=web\ttier", "   ", "a.b/c=d", "a/b/c=d", "/a=b", "a/=b",
}

// TestSelectorLikeKubernetes compares ParseSelector with labels.Parse:
// the same strings parse, select the same label sets, print the same.
func TestSelectorLikeKubernetes(t *testing.T) {
	cases := append([]string(nil), selectorCases...)
	r := rand.New(rand.NewSource(2))
	toks := []string{"app", "env", "x", "replicas", "web", "a", "b", "3", "=", "==", "!=", "!", ",", " ", "in", "notin", "(", ")", ">", "<", "tier", "db"}
	for range 4000 {
		var b strings.Builder
		for range 1 + r.Intn(7) {
			b.WriteString(toks[r.Intn(len(toks))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		want, werr := labels.Parse(s)
		got, gerr := ParseSelector(s)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("ParseSelector(%q): error %v, Kubernetes says %v", s, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		if got.String() != want.String() {
			t.Errorf("ParseSelector(%q).String() = %q, Kubernetes %q", s, got.String(), want.String())
		}
		for _, set := range labelSets {
			if g, w := got.Matches(set), want.Matches(labels.Set(set)); g != w {
				t.Errorf("ParseSelector(%q).Matches(%v) = %v, Kubernetes %v", s, set, g, w)
			}
		}
	}
}

func TestLabelSelectorLikeKubernetes(t *testing.T) {
	cases := []*LabelSelector{
		nil,
		{},
		{MatchLabels: map[string]string{"app": "web"}},
		{MatchLabels: map[string]string{"app": "web"}, MatchExpressions: []LabelSelectorRequirement{{Key: "tier", Operator: "In", Values: []string{"frontend", "db"}}}},
		{MatchExpressions: []LabelSelectorRequirement{{Key: "env", Operator: "NotIn", Values: []string{"a"}}, {Key: "x", Operator: "Exists"}}},
		{MatchExpressions: []LabelSelectorRequirement{{Key: "x", Operator: "DoesNotExist"}}},
		{MatchExpressions: []LabelSelectorRequirement{{Key: "x", Operator: "in", Values: []string{"a"}}}},
		{MatchExpressions: []LabelSelectorRequirement{{Key: "x", Operator: "In"}}},
		{MatchExpressions: []LabelSelectorRequirement{{Key: "x", Operator: "Exists", Values: []string{"a"}}}},
		{MatchLabels: map[string]string{"bad key": "web"}},
	}
	for i, c := range cases {
		var k8s *metav1.LabelSelector
		if c != nil {
			k8s = &metav1.LabelSelector{MatchLabels: c.MatchLabels}
			for _, e := range c.MatchExpressions {
				k8s.MatchExpressions = append(k8s.MatchExpressions, metav1.LabelSelectorRequirement{Key: e.Key, Operator: metav1.LabelSelectorOperator(e.Operator), Values: e.Values})
			}
		}
		want, werr := metav1.LabelSelectorAsSelector(k8s)
		got, gerr := c.Selector()
		if (werr == nil) != (gerr == nil) {
			t.Errorf("case %d: error %v, Kubernetes says %v", i, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		if got.String() != want.String() || got.Empty() != want.Empty() {
			t.Errorf("case %d: %q (empty %v), Kubernetes %q (empty %v)", i, got, got.Empty(), want, want.Empty())
		}
		for _, set := range labelSets {
			if g, w := got.Matches(set), want.Matches(labels.Set(set)); g != w {
				t.Errorf("case %d: Matches(%v) = %v, Kubernetes %v", i, set, g, w)
			}
		}
	}
}

func TestSelectorFromSet(t *testing.T) {
	s := SelectorFromSet(map[string]string{"tier": "frontend", "app": "web"})
	if s.String() != "app=web,tier=frontend" {
		t.Errorf("String() = %q", s)
	}
	if !s.Matches(map[string]string{"app": "web", "tier": "frontend", "x": "y"}) || s.Matches(map[string]string{"app": "web"}) {
		t.Error("wrong matches")
	}
	if !SelectorFromSet(nil).Empty() || Nothing().Matches(nil) || !Everything().Matches(nil) {
		t.Error("empty, Nothing or Everything wrong")
	}
}
