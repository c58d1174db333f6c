package cluster

import (
	"testing"

	"kist/kube"
)

func TestOpenExistingMakesNothing(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	st, err := OpenExisting("shop")
	if err != nil {
		t.Fatal(err)
	}
	if st.Exists() {
		t.Fatal("a namespace nobody made exists")
	}
	if l, err := st.List("Pod"); err != nil || len(l) != 0 {
		t.Errorf("List: %v %v", l, err)
	}
	if _, err := st.Get("Pod", "x"); !IsNotFound(err) {
		t.Errorf("Get: %v", err)
	}
	if st.Exists() {
		t.Error("reading made the namespace's folder")
	}
	if _, err := OpenExisting("Bad_Name"); err == nil {
		t.Error("OpenExisting took an invalid name")
	}
}

func TestRemoveNamespace(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	cs, _ := Open("")
	ns := &Object{Resource: &kube.Namespace{TypeMeta: kube.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: kube.ObjectMeta{Name: "shop"}}}
	if err := cs.Create(ns); err != nil {
		t.Fatal(err)
	}
	st, _ := Open("shop")
	cm := &Object{Resource: &kube.ConfigMap{TypeMeta: kube.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: kube.ObjectMeta{Name: "cfg"}}}
	if err := st.Create(cm); err != nil {
		t.Fatal(err)
	}
	err := RemoveNamespace("shop")
	if err == nil || err.Error() != "namespace shop still has configmap/cfg: delete them first (kubectl delete namespace shop does)" {
		t.Fatalf("with an object left: %v", err)
	}
	if err := st.Delete("ConfigMap", "cfg"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveNamespace("shop"); err != nil {
		t.Fatal(err)
	}
	if st.Exists() {
		t.Error("the folder is still there")
	}
	if _, err := cs.Get("Namespace", "shop"); !IsNotFound(err) {
		t.Errorf("the Namespace object: %v", err)
	}
	if err := RemoveNamespace("shop"); !IsNotFound(err) || err.Error() != `namespaces "shop" not found` {
		t.Errorf("again: %v", err)
	}
	if err := RemoveNamespace(DefaultNamespace); err == nil {
		t.Error("default was removed")
	}
}

func TestErrorsNameGroup(t *testing.T) {
	if got := (&NotFoundError{"Deployment", "web"}).Error(); got != `deployments.apps "web" not found` {
		t.Error(got)
	}
	if got := (&AlreadyExistsError{"Service", "web"}).Error(); got != `services "web" already exists` {
		t.Error(got)
	}
	if got := ShortNames("Deployment"); len(got) != 1 || got[0] != "deploy" {
		t.Error(got)
	}
	if got := ShortNames("Secret"); len(got) != 0 {
		t.Error(got)
	}
}
