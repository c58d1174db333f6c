package jsonpath

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// The cases below are client-go's own, from
// k8s.io/client-go/util/jsonpath/jsonpath_test.go (kubernetes/client-go,
// TestTypesInput, TestStructInput, TestJSONInput, TestKubernetes,
// TestEmptyRange, TestNestedRanges,
// TestFilterPartialMatchesSometimesMissingAnnotations, TestNegativeIndex,
// TestRunningPodsJSONPathOutput, TestStep), with the expected output as
// client-go gives it. Their Go structs are given here as the JSON they
// marshal to, decoded as kubectl decodes objects (map[string]any): where
// client-go prints a struct's fields in declaration order, a map's come
// out sorted, and the expectations say so.

type jpTest struct {
	name     string
	template string
	input    string // JSON
	expect   string
	wantErr  bool
}

func decode(t *testing.T, s string) any {
	t.Helper()
	if s == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("test input: %v", err)
	}
	return v
}

func run(t *testing.T, tests []jpTest, allowMissing bool) {
	t.Helper()
	for _, tc := range tests {
		j := New(tc.name).AllowMissingKeys(allowMissing)
		err := j.Parse(tc.template)
		if err != nil {
			if !tc.wantErr {
				t.Errorf("%s: parse %s: %v", tc.name, tc.template, err)
			}
			continue
		}
		var buf bytes.Buffer
		err = j.Execute(&buf, decode(t, tc.input))
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: %s: want an error, got %q", tc.name, tc.template, buf.String())
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %s: %v", tc.name, tc.template, err)
			continue
		}
		if got := buf.String(); got != tc.expect {
			t.Errorf("%s: %s: got %q, want %q", tc.name, tc.template, got, tc.expect)
		}
	}
}

const types = `{
	"bools": [true, false, true, false],
	"integers": [1, 2, 3, 4],
	"floats": [1.0, 2.2, 3.3, 4.0],
	"strings": ["one", "two", "three", "four"],
	"interfaces": [true, "one", 1, 1.1],
	"maps": [{"name": "one", "value": 1}, {"name": "two", "value": 2.02}, {"name": "three", "value": 3.03}, {"name": "four", "value": 4.04}]
}`

func TestTypesInput(t *testing.T) {
	run(t, []jpTest{
		{"boolSlice", `{ .bools }`, types, `[true,false,true,false]`, false},
		{"boolSliceIndex", `{ .bools[0] }`, types, `true`, false},
		{"boolSliceIndex", `{ .bools[-1] }`, types, `false`, false},
		{"boolSubSlice", `{ .bools[0:2] }`, types, `true false`, false},
		{"boolSubSliceFirst2", `{ .bools[:2] }`, types, `true false`, false},
		{"boolSubSliceStep2", `{ .bools[:4:2] }`, types, `true true`, false},
		{"integerSlice", `{ .integers }`, types, `[1,2,3,4]`, false},
		{"integerSliceIndex", `{ .integers[0] }`, types, `1`, false},
		{"integerSliceIndexReverse", `{ .integers[-2] }`, types, `3`, false},
		{"integerSubSliceFirst2", `{ .integers[0:2] }`, types, `1 2`, false},
		{"integerSubSliceStep2", `{ .integers[:4:2] }`, types, `1 3`, false},
		{"floatSlice", `{ .floats }`, types, `[1,2.2,3.3,4]`, false},
		{"floatSliceIndexReverse", `{ .floats[-2] }`, types, `3.3`, false},
		{"floatSubSliceStep2", `{ .floats[:4:2] }`, types, `1 3.3`, false},
		{"stringSlice", `{ .strings }`, types, `["one","two","three","four"]`, false},
		{"stringSliceIndexReverse", `{ .strings[-2] }`, types, `three`, false},
		{"stringSubSliceStep2", `{ .strings[:4:2] }`, types, `one three`, false},
		{"interfaceSlice", `{ .interfaces }`, types, `[true,"one",1,1.1]`, false},
		{"interfaceSubSliceFirst2", `{ .interfaces[0:2] }`, types, `true one`, false},
		{"mapSliceIndex", `{ .maps[0] }`, types, `{"name":"one","value":1}`, false},
		{"mapSliceIndexReverse", `{ .maps[-2] }`, types, `{"name":"three","value":3.03}`, false},
		{"mapSubSliceStepOdd", `{ .maps[::2] }`, types, `{"name":"one","value":1} {"name":"three","value":3.03}`, false},
		{"mapSubSliceStepEven", `{ .maps[1::2] }`, types, `{"name":"two","value":2.02} {"name":"four","value":4.04}`, false},
	}, false)
}

const storeData = `{
	"Name": "jsonpath",
	"Book": [
		{"Category": "reference", "Author": "Nigel Rees", "Title": "Sayings of the Centurey", "Price": 8.95},
		{"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour", "Price": 12.99},
		{"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99}
	],
	"Bicycle": [
		{"Color": "red", "Price": 19.95, "IsNew": true},
		{"Color": "green", "Price": 20.01, "IsNew": false}
	],
	"Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
	"Employees": {"jason": "manager", "dan": "clerk"}
}`

func TestStructInput(t *testing.T) {
	run(t, []jpTest{
		{"plain", "hello jsonpath", "", "hello jsonpath", false},
		{"recursive", "{..}", `[1, 2, 3]`, "[1,2,3]", false},
		{"filter", "{[?(@<5)]}", `[2, 6, 3, 7]`, "2 3", false},
		{"quote", `{"{"}`, "", "{", false},
		{"union", "{[1,3,4]}", `[0, 1, 2, 3, 4]`, "1 3 4", false},
		{"array", "{[0:2]}", `["Monday", "Tudesday"]`, "Monday Tudesday", false},
		{"variable", "hello {.Name}", storeData, "hello jsonpath", false},
		{"dict/", "{$.Labels.web/html}", storeData, "15", false},
		{"dict/", "{$.Employees.jason}", storeData, "manager", false},
		{"dict-", "{.Labels.k8s-app}", storeData, "20", false},
		{"nest", "{.Bicycle[*].Color}", storeData, "red green", false},
		{"allarray", "{.Book[*].Author}", storeData, "Nigel Rees Evelyn Waugh Herman Melville", false},
		// client-go: "{red 19.95 true} ..." (a struct's field order)
		{"allfields", `{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}`, storeData, "{red true 19.95} {green false 20.01} ", false},
		{"recurdotfields", "{...Price}", `{"Bicycle": [{"Price": 19.95}, {"Price": 20.01}]}`, "19.95 20.01", false},
		{"superrecurfields", "{............................................................Price}", storeData, "", true},
		{"allstructs", `{range .Bicycle[*]}{ @ }{ " " }{end}`, storeData,
			`{"Color":"red","IsNew":true,"Price":19.95} {"Color":"green","IsNew":false,"Price":20.01} `, false},
		{"lastarray", "{.Book[-1:]}", storeData,
			`{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}`, false},
		{"recurarray", "{..Book[2]}", storeData,
			`{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}`, false},
		{"bool", "{.Bicycle[?(@.IsNew==true)]}", storeData, `{"Color":"red","IsNew":true,"Price":19.95}`, false},
		{"regexp red", "{.Bicycle[?(@.Color=~'.*ed.*')]}", storeData, `{"Color":"red","IsNew":true,"Price":19.95}`, false},
		{"regexp green", "{.Bicycle[?(@.Color=~'^g.*en.*')]}", storeData, `{"Color":"green","IsNew":false,"Price":20.01}`, false},
		{"regexp bool", "{.Bicycle[?(@.IsNew=~'.*ue')]}", storeData, ``, true},
		{"regexp number", "{.Bicycle[?(@.Price=~'.*95')]}", storeData, ``, true},
	}, false)

	run(t, []jpTest{
		{"nonexistent field", "{.hello}", storeData, "", false},
		{"nonexistent field 2", "before-{.hello}after", storeData, "before-after", false},
	}, true)

	for _, tc := range []struct{ template, err string }{
		{"{hello}", "unrecognized identifier hello"},
		{"{.hello}", "hello is not found"},
		{"{.Labels[0]}", "map[string]interface {} is not array or slice"},
		{"{.Book[?(@.Price<>10)]}", "unrecognized filter operator <>"},
		{"{range .Labels.*}{@}{end}{end}", "not in range, nothing to end"},
	} {
		j := New("fail")
		if err := j.Parse(tc.template); err != nil {
			t.Errorf("%s: parse: %v", tc.template, err)
			continue
		}
		err := j.Execute(&bytes.Buffer{}, decode(t, storeData))
		if err == nil || err.Error() != tc.err {
			t.Errorf("%s: error %v, want %q", tc.template, err, tc.err)
		}
	}
}

func TestJSONInput(t *testing.T) {
	points := `[
		{"id": "i1", "x":4, "y":-5},
		{"id": "i2", "x":-2, "y":-5, "z":1},
		{"id": "i3", "x":  8, "y":  3 },
		{"id": "i4", "x": -6, "y": -1 },
		{"id": "i5", "x":  0, "y":  2, "z": 1 },
		{"id": "i6", "x":  1, "y":  4 }
	]`
	run(t, []jpTest{
		{"exists filter", "{[?(@.z)].id}", points, "i2 i5", false},
		{"bracket key", "{[0]['id']}", points, "i1", false},
	}, false)
}

const nodes = `{
  "kind": "List",
  "items":[
	{"kind":"None","metadata":{"name":"127.0.0.1","labels":{"kubernetes.io/hostname":"127.0.0.1"}},
	 "status":{"capacity":{"cpu":"4"},"ready": true,"addresses":[{"type": "LegacyHostIP", "address":"127.0.0.1"}]}},
	{"kind":"None","metadata":{"name":"127.0.0.2","labels":{"kubernetes.io/hostname":"127.0.0.2"}},
	 "status":{"capacity":{"cpu":"8"},"ready": false,"addresses":[{"type": "LegacyHostIP", "address":"127.0.0.2"},{"type": "another", "address":"127.0.0.3"}]}}
  ],
  "users":[{"name": "myself","user": {}},{"name": "e2e","user": {"username": "admin", "password": "secret"}}]
}`

func TestKubernetes(t *testing.T) {
	run(t, []jpTest{
		{"range item", `{range .items[*]}{.metadata.name}, {end}{.kind}`, nodes, "127.0.0.1, 127.0.0.2, List", false},
		{"range item with quote", `{range .items[*]}{.metadata.name}{"\t"}{end}`, nodes, "127.0.0.1\t127.0.0.2\t", false},
		{"range addresss", `{.items[*].status.addresses[*].address}`, nodes, "127.0.0.1 127.0.0.2 127.0.0.3", false},
		{"double range", `{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}`, nodes,
			"127.0.0.1, 127.0.0.2, 127.0.0.3, ", false},
		{"item name", `{.items[*].metadata.name}`, nodes, "127.0.0.1 127.0.0.2", false},
		{"union nodes capacity", `{.items[*]['metadata.name', 'status.capacity']}`, nodes,
			`127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}`, false},
		{"range nodes capacity", `{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}`, nodes,
			`[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] `, false},
		{"user password", `{.users[?(@.name=="e2e")].user.password}`, nodes, "secret", false},
		{"hostname", `{.items[0].metadata.labels.kubernetes\.io/hostname}`, nodes, "127.0.0.1", false},
		{"hostname filter", `{.items[?(@.metadata.labels.kubernetes\.io/hostname=="127.0.0.1")].kind}`, nodes, "None", false},
		{"bool item", `{.items[?(@..ready==true)].metadata.name}`, nodes, "127.0.0.1", false},
	}, false)

	j := New("recursive name")
	if err := j.Parse("{..name}"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := j.Execute(&buf, decode(t, nodes)); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(buf.String())
	sort.Strings(got)
	if strings.Join(got, " ") != "127.0.0.1 127.0.0.2 e2e myself" {
		t.Errorf("{..name}: %q", buf.String())
	}
}

func TestRanges(t *testing.T) {
	run(t, []jpTest{
		{"empty range", `{range .items[*]}{.metadata.name}{end}`, `{"items":[]}`, "", false},
		{"empty nested range", `{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}`, `{"items":[]}`, "", false},
	}, true)
	pods := `{"items": [
		{"metadata": {"name": "pod1"}, "spec": {"containers": [
			{"name": "foo", "another": [{"name": "value1"}, {"name": "value2"}]},
			{"name": "bar", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
		{"metadata": {"name": "pod2"}, "spec": {"containers": [
			{"name": "baz", "another": [{"name": "value1"}, {"name": "value2"}]}]}}]}`
	run(t, []jpTest{
		{"nested", `{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}`, pods,
			"pod1:foo,bar,+pod2:baz,+", false},
		{"nested twice", `{range .items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}{range @.another[*]}{.name}{","}{end}{"+"}{end}{"#"}{end}`, pods,
			"pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#", false},
		{"two at one level", `{range .items[*]}{.metadata.name}{"\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\n"}{end}`, pods,
			"pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n", false},
	}, false)
}

func TestFilterMissing(t *testing.T) {
	in := `{"kind": "List", "items": [
		{"kind": "Pod", "metadata": {"name": "pod1", "annotations": {"color": "blue"}}},
		{"kind": "Pod", "metadata": {"name": "pod2"}},
		{"kind": "Pod", "metadata": {"name": "pod3", "annotations": {"color": "green"}}},
		{"kind": "Pod", "metadata": {"name": "pod4", "annotations": {"color": "blue"}}}]}`
	tpl := `{.items[?(@.metadata.annotations.color=="blue")].metadata.name}`
	run(t, []jpTest{{"tolerate missing", tpl, in, "pod1 pod4", false}}, true)
	run(t, []jpTest{{"error on missing", tpl, in, "", true}}, false)

	running := `{"kind": "List", "items": [
		{"kind": "Pod", "metadata": {"name": "pod1"}, "status": {"phase": "Running"}},
		{"kind": "Pod", "metadata": {"name": "pod2"}, "status": {"phase": "Running"}},
		{"kind": "Pod", "metadata": {"name": "pod3"}, "status": {"phase": "Running"}},
		{"resourceVersion": ""}]}`
	run(t, []jpTest{{"running pods", `{range .items[?(.status.phase=="Running")]}{.metadata.name}{" is Running\n"}{end}`, running,
		"pod1 is Running\npod2 is Running\npod3 is Running\n", false}}, true)
}

func TestIndexes(t *testing.T) {
	ctrs := func(n int) string {
		var cs []string
		for i := 0; i < n; i++ {
			cs = append(cs, `{"image": "radial/busyboxplus:curl", "name": "fake`+string(rune('0'+i))+`"}`)
		}
		return `{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [` + strings.Join(cs, ",") + `]}}`
	}
	four, six := ctrs(4), ctrs(6)
	run(t, []jpTest{
		{"[0]", `{.spec.containers[0].name}`, four, "fake0", false},
		{"[0:0]", `{.spec.containers[0:0].name}`, four, "", false},
		{"[0:-1]", `{.spec.containers[0:-1].name}`, four, "fake0 fake1 fake2", false},
		{"[-1:0]", `{.spec.containers[-1:0].name}`, four, "", true},
		{"[-1]", `{.spec.containers[-1].name}`, four, "fake3", false},
		{"[-1:]", `{.spec.containers[-1:].name}`, four, "fake3", false},
		{"[-2]", `{.spec.containers[-2].name}`, four, "fake2", false},
		{"[-2:]", `{.spec.containers[-2:].name}`, four, "fake2 fake3", false},
		{"[-4]", `{.spec.containers[-4].name}`, four, "fake0", false},
		{"[-4:]", `{.spec.containers[-4:].name}`, four, "fake0 fake1 fake2 fake3", false},
		{"[-5]", `{.spec.containers[-5].name}`, four, "", true},
		{"[5:5]", `{.spec.containers[5:5].name}`, four, "", false},
		{"[-5:-5]", `{.spec.containers[-5:-5].name}`, four, "", false},
		{"[3:1]", `{.spec.containers[3:1].name}`, four, "", true},
		{"[-1:-2]", `{.spec.containers[-1:-2].name}`, four, "", true},
		{"[0:]", `{.spec.containers[0:].name}`, six, "fake0 fake1 fake2 fake3 fake4 fake5", false},
		{"[0:6:]", `{.spec.containers[0:6:].name}`, six, "fake0 fake1 fake2 fake3 fake4 fake5", false},
		{"[0:6:1]", `{.spec.containers[0:6:1].name}`, six, "fake0 fake1 fake2 fake3 fake4 fake5", false},
		{"[0:6:0]", `{.spec.containers[0:6:0].name}`, six, "", true},
		{"[0:6:-1]", `{.spec.containers[0:6:-1].name}`, six, "", true},
		{"[1:4:2]", `{.spec.containers[1:4:2].name}`, six, "fake1 fake3", false},
		{"[1:4:3]", `{.spec.containers[1:4:3].name}`, six, "fake1", false},
		{"[1:4:4]", `{.spec.containers[1:4:4].name}`, six, "fake1", false},
		{"[0:6:2]", `{.spec.containers[0:6:2].name}`, six, "fake0 fake2 fake4", false},
		{"[0:6:5]", `{.spec.containers[0:6:5].name}`, six, "fake0 fake5", false},
		{"[0:6:6]", `{.spec.containers[0:6:6].name}`, six, "fake0", false},
		// what the course's and tutorials' commands use
		{"items[0] of none", `{.items[0].metadata.name}`, `{"items": []}`, "", true},
		{"images", `{.spec.containers[*].image}`, ctrs(2), "radial/busyboxplus:curl radial/busyboxplus:curl", false},
	}, false)
}

func TestKubectlUses(t *testing.T) {
	pod := `{"metadata": {"name": "web-1", "namespace": "default"}, "status": {"phase": "Running", "conditions": [
		{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"}]}}`
	run(t, []jpTest{
		{"condition filter", `{.status.conditions[?(@.type=="Ready")].status}`, pod, "False", false},
		{"quoted newline", `{.metadata.name}{"\n"}`, pod, "web-1\n", false},
		{"single quotes", `{.metadata.name}{'\n'}`, pod, "web-1\n", false},
		{"namespace", `{..namespace}`, pod, "default", false},
		{"number", `{.spec.ports[0].nodePort}`, `{"spec": {"ports": [{"nodePort": 30080}]}}`, "30080", false},
		{"not equal", `{.status.conditions[?(@.status!="True")].type}`, pod, "Ready", false},
	}, true)
	for _, c := range []struct{ in, want string }{
		{".metadata.name", "{.metadata.name}"}, {"metadata.name", "{.metadata.name}"},
		{"{.metadata.name}", "{.metadata.name}"}, {"{metadata.name}", "{.metadata.name}"},
	} {
		if got, err := RelaxedJSONPathExpression(c.in); err != nil || got != c.want {
			t.Errorf("relaxed %q: %q %v", c.in, got, err)
		}
	}
	if _, err := RelaxedJSONPathExpression("{.a}{.b}"); err == nil {
		t.Error("relaxed {.a}{.b}: no error")
	}
}
