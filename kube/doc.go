// Package kube is the manifest layer of kist kube: it reads the
// Kubernetes manifests a cluster takes (Pod, Deployment, ReplicaSet,
// Job, Service, ConfigMap, Secret, PersistentVolumeClaim, Namespace),
// checks them as the API server would, and hands kist's controller and
// command line typed objects, with a warning for every field kist does
// not apply. It runs nothing.
//
//	objs, warnings, err := kube.Load([]string{"deploy.yaml", "k8s/"}, os.Stdin)
//
// # Its own types
//
// k8s.io/api's types would add about 7 MiB to kist's stripped binary:
// they pull in 53 packages of apimachinery, and because kist links
// text/template (docker's --format), the linker keeps every exported
// method of every reachable type, gogo-protobuf marshalling included. So
// kube has its own typed subset (types.go): the kinds above and, of each,
// the fields kist applies, with exactly k8s.io/api's JSON names, Go
// shapes and omitempty, decoded with sigs.k8s.io/yaml as kubectl does
// (YAML 1.1 to JSON), with small Quantity and IntOrString types of its
// own. k8s.io/api is used only by the tests, which check kist against it
// (below). The package costs about 0.3 MiB.
//
// # Three kinds of field
//
// Each document is decoded to generic JSON, then walked (decode.go) with
// two guides at each place: kist's struct there, by reflection, and the
// list of the fields Kubernetes has there, from k8sfields.txt. A field
//
//   - of kist's struct is checked against its Go type (a number where a
//     string belongs is an error that says to quote it) and decoded;
//   - of Kubernetes only is a warning, "not applied by kist", with its
//     full path; its subtree is still searched for unknown fields. A
//     field left empty (null, "", [], {}, {loadBalancer: {}}) or at a
//     Kubernetes default that kist behaves as anyway (dnsPolicy:
//     ClusterFirst, ...) is not worth a warning: kubectl create
//     --dry-run and kubectl get -o yaml write such fields;
//   - Kubernetes does not have is an error, with a "did you mean" from
//     the names at that place, or, for a field at the wrong depth, where
//     it belongs ("containers is a field of spec.template.spec: check
//     the indentation").
//
// Some values are warnings too: a Service of type LoadBalancer, an
// env fieldRef other than metadata.name, metadata.namespace and
// status.podIP, resources other than cpu and memory, a probe's port
// name that no container port has, a Service port over UDP. So is a
// whole object of a kind Kubernetes has and kist does not run (a
// ServiceAccount, an Ingress, a StatefulSet): a cluster would take the
// file, so kist applies its other objects and names that one.
//
// # The table of Kubernetes' fields
//
// k8sfields.txt lists, per Go type of k8s.io/api reachable from the
// kinds' types (status left out), its JSON fields, naming the type of
// each struct field; nested types are listed once. It is embedded and
// parsed on first use. TestFieldTable generates it by reflection from
// the k8s.io/api that go.mod pins and fails when the file differs:
//
//	go test ./kube -run TestFieldTable -update
//
// rewrites it (after go get k8s.io/api@vX k8s.io/apimachinery@vX, in
// that order: gvisor's go.mod asks for an old k8s.io/api). Other tests
// hold kist to k8s.io/api: TestKistFieldsExist (every JSON field of
// kist's types is at the same place in k8s.io/api, with the same shape),
// TestRoundTrip (the manifests of testdata/good decode into kist's and,
// strictly, into k8s.io/api's types, and agree on kist's fields),
// TestSplitLikeKubectl, TestEveryUnappliedFieldWarns (all of the ~750
// fields kist lacks at the places it models), and apimachinery's own
// rules for quantities, label selectors and names compared with kist's.
//
// # Errors and warnings
//
// A Problem names the file, the line (yaml.v3 parses each document a
// second time for the positions sigs.k8s.io/yaml drops), the document
// (counted from 1, empty ones skipped), the item of a kind: List, the
// object's kind and name, and the field path as the API server writes
// it:
//
//	deploy.yaml:20: document 2 (Deployment web): spec.template.spec.containers[0].securityContext: not applied by kist
//	deploy.yaml:18: document 2 (Deployment web): spec.template.spec.containers[0].imagePullPolcy: unknown field "imagePullPolcy"; did you mean "imagePullPolicy"?
//
// Load reads every document of every file and collects every error, so
// a student sees them all at once; if there is one, it returns an Errors
// and no objects: nothing is to be applied.
//
// Validation (validate.go) is the API server's for what kist applies:
// names (DNS-1123 subdomain or label, DNS-1035 for Services), labels,
// required fields, a Deployment's or ReplicaSet's selector against its
// template's labels, unique container names, ports, volume mounts naming
// a volume, restartPolicy values (Always in a Deployment, OnFailure or
// Never in a Job), Service ports and node ports, quantities, ... in the
// API server's words ("Invalid value", "Required value", "Unsupported
// value"), with a plainer hint where those are obscure. It runs before
// defaults, so an absent field stands for its default; then SetDefaults
// sets the API server's defaults (replicas 1, RollingUpdate 25%/25%,
// imagePullPolicy, probe timings, ...) on the objects Load returns.
//
// Label selectors: Selector, from a LabelSelector (matchLabels and
// matchExpressions), a Service's map, or kubectl's -l syntax
// (ParseSelector("app=web,tier!=db,env in (a,b),!x")).
package kube
