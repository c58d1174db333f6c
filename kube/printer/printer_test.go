package printer

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"kist/kube"
	"kist/kube/cluster"
)

func TestHumanDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "<invalid>"},
		{-time.Second, "0s"},
		{0, "0s"},
		{5 * time.Second, "5s"},
		{119 * time.Second, "119s"},
		{3*time.Minute + 2*time.Second, "3m2s"},
		{4 * time.Minute, "4m"},
		{10 * time.Minute, "10m"},
		{179 * time.Minute, "179m"},
		{3*time.Hour + 5*time.Minute, "3h5m"},
		{5 * time.Hour, "5h"},
		{20 * time.Hour, "20h"},
		{51 * time.Hour, "2d3h"},
		{72 * time.Hour, "3d"},
		{10 * 24 * time.Hour, "10d"},
		{(2*365 + 30) * 24 * time.Hour, "2y30d"},
		{9 * 365 * 24 * time.Hour, "9y"},
	} {
		if got := HumanDuration(c.d); got != c.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) cluster.Time { return cluster.Time{Time: now.Add(-d)} }

func pod(containers int, st *cluster.PodStatus) *cluster.Object {
	p := &kube.Pod{TypeMeta: kube.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: kube.ObjectMeta{Name: "web", Namespace: "default"}}
	for i := range containers {
		p.Spec.Containers = append(p.Spec.Containers, kube.Container{Name: string(rune('a' + i)), Image: "toolbox"})
	}
	return &cluster.Object{Resource: p, Meta: cluster.Meta{CreationTimestamp: ago(90 * time.Second)}, Status: st}
}

func running(ready bool) cluster.ContainerStatus {
	return cluster.ContainerStatus{Ready: ready, State: cluster.ContainerState{Running: &cluster.ContainerStateRunning{StartedAt: ago(time.Minute)}}}
}

func TestPodColumns(t *testing.T) {
	readyCond := []cluster.Condition{{Type: "Ready", Status: "True"}}
	waiting := func(reason string) cluster.ContainerStatus {
		return cluster.ContainerStatus{State: cluster.ContainerState{Waiting: &cluster.ContainerStateWaiting{Reason: reason}}}
	}
	terminated := func(code int32, reason string) cluster.ContainerStatus {
		return cluster.ContainerStatus{State: cluster.ContainerState{Terminated: &cluster.ContainerStateTerminated{ExitCode: code, Reason: reason}}}
	}
	restarted := running(true)
	restarted.RestartCount = 2
	restarted.LastTerminationState.Terminated = &cluster.ContainerStateTerminated{FinishedAt: ago(5 * time.Second)}
	deleting := pod(1, &cluster.PodStatus{Phase: "Running", ContainerStatuses: []cluster.ContainerStatus{running(true)}})
	deleting.Meta.DeletionTimestamp = &cluster.Time{Time: now}
	for _, c := range []struct {
		name                    string
		obj                     *cluster.Object
		ready, status, restarts string
	}{
		{"no status yet", pod(1, nil), "0/1", "Pending", "0"},
		{"creating", pod(1, &cluster.PodStatus{Phase: "Pending", ContainerStatuses: []cluster.ContainerStatus{waiting("ContainerCreating")}}), "0/1", "ContainerCreating", "0"},
		{"pull error", pod(1, &cluster.PodStatus{Phase: "Pending", ContainerStatuses: []cluster.ContainerStatus{waiting("ErrImagePull")}}), "0/1", "ErrImagePull", "0"},
		{"running", pod(2, &cluster.PodStatus{Phase: "Running", Conditions: readyCond, ContainerStatuses: []cluster.ContainerStatus{running(true), running(true)}}), "2/2", "Running", "0"},
		{"not ready", pod(2, &cluster.PodStatus{Phase: "Running", ContainerStatuses: []cluster.ContainerStatus{running(true), running(false)}}), "1/2", "Running", "0"},
		{"crash loop", pod(1, &cluster.PodStatus{Phase: "Running", ContainerStatuses: []cluster.ContainerStatus{waiting("CrashLoopBackOff")}}), "0/1", "CrashLoopBackOff", "0"},
		{"restarted", pod(1, &cluster.PodStatus{Phase: "Running", ContainerStatuses: []cluster.ContainerStatus{restarted}}), "1/1", "Running", "2 (5s ago)"},
		{"completed", pod(1, &cluster.PodStatus{Phase: "Succeeded", ContainerStatuses: []cluster.ContainerStatus{terminated(0, "Completed")}}), "0/1", "Completed", "0"},
		{"error", pod(1, &cluster.PodStatus{Phase: "Failed", ContainerStatuses: []cluster.ContainerStatus{terminated(1, "Error")}}), "0/1", "Error", "0"},
		{"exit code", pod(1, &cluster.PodStatus{Phase: "Failed", ContainerStatuses: []cluster.ContainerStatus{terminated(2, "")}}), "0/1", "ExitCode:2", "0"},
		{"one of two completed", pod(2, &cluster.PodStatus{Phase: "Running", ContainerStatuses: []cluster.ContainerStatus{running(true), terminated(0, "Completed")}}), "1/2", "NotReady", "0"},
		{"terminating", deleting, "1/1", "Terminating", "0"},
		{"config error", pod(1, &cluster.PodStatus{Phase: "Pending", ContainerStatuses: []cluster.ContainerStatus{waiting("CreateContainerConfigError")}}), "0/1", "CreateContainerConfigError", "0"},
	} {
		ready, status, restarts := PodColumns(c.obj, now)
		if ready != c.ready || status != c.status || restarts != c.restarts {
			t.Errorf("%s: got %s %s %s, want %s %s %s", c.name, ready, status, restarts, c.ready, c.status, c.restarts)
		}
	}
}

func TestServicePorts(t *testing.T) {
	for _, c := range []struct {
		ports []kube.ServicePort
		want  string
	}{
		{nil, "<none>"},
		{[]kube.ServicePort{{Port: 80, Protocol: "TCP"}}, "80/TCP"},
		{[]kube.ServicePort{{Port: 80, Protocol: "TCP", NodePort: 31234}}, "80:31234/TCP"},
		{[]kube.ServicePort{{Port: 80}, {Port: 53, Protocol: "UDP"}}, "80/TCP,53/UDP"},
	} {
		if got := ServicePorts(c.ports); got != c.want {
			t.Errorf("ServicePorts(%v) = %q, want %q", c.ports, got, c.want)
		}
	}
}

func i32(n int32) *int32 { return &n }

func TestJobColumns(t *testing.T) {
	job := func(spec kube.JobSpec, st *cluster.JobStatus) *cluster.Object {
		return &cluster.Object{Resource: &kube.Job{TypeMeta: kube.TypeMeta{Kind: "Job"}, ObjectMeta: kube.ObjectMeta{Name: "pi"}, Spec: spec}, Status: st}
	}
	start := ago(time.Minute)
	end := ago(50 * time.Second)
	for _, c := range []struct {
		obj                  *cluster.Object
		status, compl, durat string
	}{
		{job(kube.JobSpec{Completions: i32(1)}, nil), "Running", "0/1", ""},
		{job(kube.JobSpec{Completions: i32(3)}, &cluster.JobStatus{Succeeded: 1, StartTime: &start}), "Running", "1/3", "60s"},
		{job(kube.JobSpec{Parallelism: i32(2)}, &cluster.JobStatus{}), "Running", "0/1 of 2", ""},
		{job(kube.JobSpec{Completions: i32(1)}, &cluster.JobStatus{Succeeded: 1, StartTime: &start, CompletionTime: &end,
			Conditions: []cluster.Condition{{Type: "Complete", Status: "True"}}}), "Complete", "1/1", "10s"},
		{job(kube.JobSpec{Completions: i32(1)}, &cluster.JobStatus{Failed: 7, StartTime: &start,
			Conditions: []cluster.Condition{{Type: "Failed", Status: "True"}}}), "Failed", "0/1", "60s"},
	} {
		s, co, d := JobColumns(c.obj, now)
		if s != c.status || co != c.compl || d != c.durat {
			t.Errorf("got %q %q %q, want %q %q %q", s, co, d, c.status, c.compl, c.durat)
		}
	}
}

func TestTable(t *testing.T) {
	dep := &cluster.Object{
		Resource: &kube.Deployment{TypeMeta: kube.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"}, ObjectMeta: kube.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: kube.DeploymentSpec{Replicas: i32(3), Selector: &kube.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: kube.PodTemplateSpec{Spec: kube.PodSpec{Containers: []kube.Container{{Name: "nginx", Image: "nginx:1.25"}}}}}},
		Meta:   cluster.Meta{CreationTimestamp: ago(10 * time.Minute)},
		Status: &cluster.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2},
	}
	var b bytes.Buffer
	o := Options{Now: now, Wide: true}
	if err := Table(&b, Headers("Deployment", o), [][]string{Row(dep, o)}); err != nil {
		t.Fatal(err)
	}
	want := "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n" +
		"web    2/3     3            2           10m   nginx        nginx:1.25   app=web\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	o = Options{Now: now, WithKind: true, ShowLabels: true}
	if r := Row(dep, o); r[0] != "deployment.apps/web" || r[len(r)-1] != "<none>" {
		t.Errorf("row with kind and labels: %q", r)
	}
}

func TestYAMLList(t *testing.T) {
	cm := &cluster.Object{Resource: &kube.ConfigMap{TypeMeta: kube.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: kube.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: map[string]string{"A": "1"}},
		Meta: cluster.Meta{UID: "u1", ResourceVersion: "7", CreationTimestamp: ago(time.Hour)}}
	var b bytes.Buffer
	if err := YAML(&b, []*cluster.Object{cm}, false); err != nil {
		t.Fatal(err)
	}
	want := "apiVersion: v1\ndata:\n  A: \"1\"\nkind: ConfigMap\nmetadata:\n  creationTimestamp: \"2024-05-01T11:00:00Z\"\n  name: cfg\n  namespace: default\n  resourceVersion: \"7\"\n  uid: u1\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := YAML(&b, []*cluster.Object{cm}, true); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "apiVersion: v1\nitems:\n- apiVersion: v1\n") || !strings.HasSuffix(b.String(), "kind: List\nmetadata:\n  resourceVersion: \"\"\n") {
		t.Errorf("list:\n%s", b.String())
	}
}

func TestDescribeProbe(t *testing.T) {
	p := &kube.Probe{HTTPGet: &kube.HTTPGetAction{Path: "/", Port: kube.FromInt(80)}, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
	if got, want := DescribeProbe(p), "http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p = &kube.Probe{Exec: &kube.ExecAction{Command: []string{"cat", "/tmp/ok"}}, PeriodSeconds: 5}
	if got, want := DescribeProbe(p), "exec [cat /tmp/ok] delay=0s timeout=0s period=5s #success=0 #failure=0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

type fakeSource struct{}

func (fakeSource) List(string) ([]*cluster.Object, error) { return nil, nil }
func (fakeSource) Events(string) []cluster.Event {
	return []cluster.Event{{Type: "Normal", Reason: "Pulled", Message: "pulled", Kind: "Pod", Count: 3, FirstTimestamp: ago(time.Minute), LastTimestamp: ago(10 * time.Second)}}
}

func TestDescribePod(t *testing.T) {
	o := pod(1, &cluster.PodStatus{Phase: "Running", PodIP: "10.89.0.2", HostIP: "127.0.0.1", KistPod: "k8s_web_default",
		Conditions: []cluster.Condition{{Type: "Ready", Status: "True"}}, ContainerStatuses: []cluster.ContainerStatus{running(true)}})
	o.Meta.UID = "u"
	o.Resource.(*kube.Pod).Labels = map[string]string{"app": "web", "tier": "front"}
	o.PodStatus().ContainerStatuses[0].Name = "a"
	var b bytes.Buffer
	if err := Describe(&b, o, fakeSource{}, DescribeOptions{Now: now, Node: "host"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Name:         web\n", "Node:         host/127.0.0.1\n", "Labels:       app=web\n              tier=front\n",
		"Status:       Running\n", "IP:           10.89.0.2\n", "Containers:\n  a:\n", "    State:          Running\n",
		"    Ready:          True\n", "Events:\n  Type    Reason  Age                From     Message\n",
		"  Normal  Pulled  10s (x3 over 60s)  kubelet  pulled\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
