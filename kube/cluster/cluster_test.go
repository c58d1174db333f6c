package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/container"
	"kist/internal/dirs"
	"kist/internal/role"
	"kist/internal/userns"
	"kist/kube"
	"kist/network"
	_ "kist/network/keeper" // the keeper of the namespace's network
	"kist/sandbox"
)

// TestMain makes this test binary answer as kist does when it starts
// itself again: the controller, the keeper, the steps inside the user
// namespace, the toolbox applets (the toolbox image is this binary).
func TestMain(m *testing.M) {
	if main, ok := role.Find(os.Args); ok {
		os.Exit(main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

var wipeStep = userns.Register("cluster-test-wipe", func(ctx context.Context, dir string, _ userns.Stdio) (struct{}, error) {
	return struct{}{}, os.RemoveAll(dir)
})

// clusterEnv gives a test its own kist data and runtime directories,
// and stops what it ran after it.
func clusterEnv(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs containers")
	}
	if err := exec.Command("unshare", "-U", "true").Run(); err != nil {
		t.Skipf("user namespaces cannot be created here: %v", err)
	}
	if exe, _ := os.Executable(); exec.Command("sh", "-c", "file -b "+exe+" | grep -q static").Run() != nil {
		t.Skip("the toolbox image is this test binary, which must be static: CGO_ENABLED=0 go test")
	}
	base, err := os.MkdirTemp("", "kist-cluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "data"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
	t.Cleanup(func() {
		rd, _ := dirs.Runtime()
		stopControllers(rd)
		list, _ := container.List()
		for _, r := range list {
			r.Kill(rd)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for _, r := range list {
			r.Wait(ctx, rd) // its supervisor writes its state as it ends
		}
		cancel()
		network.StopKeepers(rd)
		if _, err := wipeStep.Call(context.Background(), base, userns.Stdio{}); err != nil {
			t.Errorf("removing %s: %v", base, err)
		}
		os.RemoveAll(base)
	})
}

func stopControllers(rd string) { StopControllers(rd) }

func applyYAML(t *testing.T, st *Store, y string) {
	t.Helper()
	objs, _, err := kube.Decode("test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if _, _, err := st.Apply(o.Resource); err != nil {
			t.Fatal(err)
		}
	}
	if err := Sync(st.Namespace); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		ok, s := cond()
		if ok {
			return
		}
		last = s
		time.Sleep(100 * time.Millisecond)
	}
	rd, _ := dirs.Runtime()
	logb, _ := os.ReadFile(logPath("default", rd))
	t.Fatalf("%s: not after %v (last: %s)\ncontroller log:\n%s", what, d, last, logb)
}

func readyPods(st *Store, sel string) ([]*Object, string) {
	pods, _ := st.List("Pod")
	var out []*Object
	var b strings.Builder
	for _, p := range pods {
		if !strings.HasPrefix(p.Name(), sel) {
			continue
		}
		ps := p.PodStatus()
		phase := ""
		if ps != nil {
			phase = ps.Phase
			for _, cs := range ps.ContainerStatuses {
				if cs.State.Waiting != nil {
					phase += "/" + cs.State.Waiting.Reason + ":" + cs.State.Waiting.Message
				}
			}
		}
		fmt.Fprintf(&b, "%s(%s ready=%v term=%v) ", p.Name(), phase, PodReady(p), p.Terminating())
		if PodReady(p) {
			out = append(out, p)
		}
	}
	return out, b.String()
}

const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: toolbox
        command: [sh, -c, 'mkdir -p /srv && hostname > /srv/index.html && exec httpd -f -p 8080 -h /srv']
        ports: [{containerPort: 8080, name: http}]
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`

// get fetches path from addr through the namespace's keeper.
func get(t *testing.T, addr string) (string, error) {
	rd, _ := dirs.Runtime()
	n, err := network.Get(NetworkName("default"))
	if err != nil {
		return "", err
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := network.Dial(ctx, n, rd, ap)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	b, err := io.ReadAll(bufio.NewReader(c))
	if err != nil {
		return "", err
	}
	_, body, _ := strings.Cut(string(b), "\r\n\r\n")
	return strings.TrimSpace(body), nil
}

// TestDeploymentServiceScaleUpdateUndo is the kubernetes-basics flow on
// the Go API: a Deployment of three web servers with a readiness probe
// and a Service, requests through the Service's address spread over the
// three, a deleted pod replaced, a rolling update, and a roll back.
func TestDeploymentServiceScaleUpdateUndo(t *testing.T) {
	clusterEnv(t)
	st, err := Open("default")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	applyYAML(t, st, webDeployment)
	waitFor(t, 30*time.Second, "3 ready pods", func() (bool, string) {
		p, s := readyPods(st, "web-")
		return len(p) == 3, s
	})
	t.Logf("apply to 3 ready pods: %v", time.Since(start))

	svc, err := st.Get("Service", "web")
	if err != nil {
		t.Fatal(err)
	}
	vip := svc.Resource.(*kube.Service).Spec.ClusterIP
	if vip == "" {
		t.Fatal("the Service has no clusterIP")
	}
	seen := map[string]int{}
	for range 30 {
		body, err := get(t, vip+":80")
		if err != nil {
			t.Fatalf("request to the Service: %v", err)
		}
		seen[body]++
	}
	if len(seen) != 3 {
		t.Fatalf("30 requests to the Service reached %d pods, want 3: %v", len(seen), seen)
	}

	// a deleted pod is replaced
	pods, _ := readyPods(st, "web-")
	victim := pods[0].Name()
	if err := st.MarkDeleted("Pod", victim); err != nil {
		t.Fatal(err)
	}
	Sync("default")
	waitFor(t, 20*time.Second, "the deleted pod replaced", func() (bool, string) {
		p, s := readyPods(st, "web-")
		if len(p) != 3 {
			return false, s
		}
		for _, o := range p {
			if o.Name() == victim {
				return false, s
			}
		}
		return true, s
	})

	// rolling updates under a steady stream of requests lose none; the
	// second and third give new pods addresses that pods had a moment
	// before
	d, _ := st.Get("Deployment", "web")
	for round := 2; round <= 4; round++ {
		var failed, served int
		stop := make(chan struct{})
		loopDone := make(chan struct{})
		go func() {
			defer close(loopDone)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := get(t, vip+":80"); err != nil {
					failed++
					t.Logf("request during update %d: %v", round, err)
				} else {
					served++
				}
			}
		}()
		if _, err := st.Update("Deployment", "web", func(o *Object) error {
			o.Resource.(*kube.Deployment).Spec.Template.Spec.Containers[0].Env = []kube.EnvVar{{Name: "V", Value: fmt.Sprint(round)}}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		Sync("default")
		waitFor(t, 60*time.Second, "the rollout", func() (bool, string) {
			d, _ := st.Get("Deployment", "web")
			s := d.DeploymentStatus()
			return s.ObservedGeneration >= d.Meta.Generation && s.UpdatedReplicas == 3 && s.Replicas == 3 && s.AvailableReplicas == 3,
				fmt.Sprintf("%+v", *s)
		})
		time.Sleep(2 * time.Second) // the old pods' drain and stop
		close(stop)
		<-loopDone
		if failed > 0 {
			t.Errorf("%d of %d requests failed during rolling update %d", failed, failed+served, round)
		}
		t.Logf("rolling update %d: %d requests, %d failed", round, failed+served, failed)
	}
	// a new controller finds the pods again and keeps them serving
	rd, _ := dirs.Runtime()
	stopControllers(rd)
	time.Sleep(100 * time.Millisecond)
	if err := Sync("default"); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := get(t, vip+":80"); err != nil {
			t.Fatalf("after a new controller: %v", err)
		}
	}
	if p, s := readyPods(st, "web-"); len(p) != 3 {
		t.Fatalf("after a new controller: %s", s)
	}
	rss, _ := DeploymentReplicaSets(st, d)
	if len(rss) != 4 || Revision(rss[0]) != 4 {
		t.Fatalf("after the updates: %d ReplicaSets, newest revision %d", len(rss), Revision(rss[0]))
	}
}

const configPodJob = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  GREETING: hallo
  app.conf: |
    mode=course
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: geheim}
---
apiVersion: v1
kind: Pod
metadata: {name: duo, labels: {app: duo}}
spec:
  volumes:
  - {name: conf, configMap: {name: settings}}
  - {name: shared, emptyDir: {}}
  containers:
  - name: server
    image: toolbox
    command: [sh, -c, 'mkdir -p /srv && echo "$GREETING $PASS" > /srv/index.html && cat /etc/app/app.conf >> /srv/index.html && exec httpd -f -p 8080 -h /srv']
    envFrom: [{configMapRef: {name: settings}}]
    env: [{name: PASS, valueFrom: {secretKeyRef: {name: creds, key: password}}}]
    volumeMounts: [{name: conf, mountPath: /etc/app}]
  - name: client
    image: toolbox
    command: [sh, -c, 'sleep 1; while true; do wget -q -O /shared/got http://localhost:8080/ && sleep 100; sleep 0.2; done']
    volumeMounts: [{name: shared, mountPath: /shared}]
    livenessProbe:
      exec: {command: [sh, -c, 'test ! -e /shared/die']}
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: batch/v1
kind: Job
metadata: {name: count}
spec:
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: count
        image: toolbox
        command: [sh, -c, 'echo counted']
`

// TestPodConfigJob: a pod of two containers talking over localhost,
// a ConfigMap as environment and as files, a Secret's key, an emptyDir
// they share, a liveness probe restarting a container, and a Job of two
// completions.
func TestPodConfigJob(t *testing.T) {
	clusterEnv(t)
	st, err := Open("default")
	if err != nil {
		t.Fatal(err)
	}
	applyYAML(t, st, configPodJob)
	waitFor(t, 30*time.Second, "the pod ready", func() (bool, string) {
		p, s := readyPods(st, "duo")
		return len(p) == 1, s
	})
	rd, _ := dirs.Runtime()
	client, err := container.Find(ContainerName("default", "duo", "client"))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	waitFor(t, 10*time.Second, "the client's copy of the server's page", func() (bool, string) {
		got = execOutput(client, rd, "cat", "/shared/got")
		return strings.Contains(got, "mode=course"), got + " | ls: " + execOutput(client, rd, "ls", "-la", "/shared") + fmt.Sprintf(" | state %+v", client.State(rd)) + " | log: " + logOf(client, rd) + fmt.Sprintf(" | events %+v", st.Events(""))
	})
	if !strings.Contains(got, "hallo geheim") {
		t.Errorf("the page is %q: want the ConfigMap's GREETING and the Secret's password", got)
	}
	// liveness: make the probe fail, the container restarts
	execOutput(client, rd, "touch", "/shared/die")
	waitFor(t, 15*time.Second, "a liveness restart", func() (bool, string) {
		o, _ := st.Get("Pod", "duo")
		for _, cs := range o.PodStatus().ContainerStatuses {
			if cs.Name == "client" && cs.RestartCount > 0 {
				execOutput(client, rd, "rm", "-f", "/shared/die")
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", o.PodStatus().ContainerStatuses)
	})
	waitFor(t, 30*time.Second, "the job complete", func() (bool, string) {
		j, _ := st.Get("Job", "count")
		s := j.JobStatus()
		return s.Succeeded == 2 && FindCondition(s.Conditions, "Complete") != nil, fmt.Sprintf("%+v", *s)
	})
	// a finished pod keeps its containers (and logs) but not its address
	waitFor(t, 10*time.Second, "the job's pods' infra stopped", func() (bool, string) {
		pods, _ := st.List("Pod")
		for _, p := range pods {
			if !strings.HasPrefix(p.Name(), "count-") {
				continue
			}
			kp := findKistPod(p.Meta.UID)
			if kp == nil {
				return false, "no kist pod for " + p.Name()
			}
			infra, members, _ := kp.Containers()
			if kp.Status(rd, infra, members) != container.PodExited || len(members) != 1 {
				return false, p.Name() + " still runs"
			}
			if log := logOf(members[0], rd); !strings.Contains(log, "counted") {
				return false, "log: " + log
			}
		}
		return true, ""
	})
	// deleting the pod stops it and forgets it
	st.MarkDeleted("Pod", "duo")
	Sync("default")
	waitFor(t, 40*time.Second, "the pod gone", func() (bool, string) {
		_, err := st.Get("Pod", "duo")
		return IsNotFound(err) && findKistPodByName("k8s_duo_default") == nil, fmt.Sprint(err)
	})
}

func findKistPodByName(name string) *container.Pod {
	p, err := container.FindPod(name)
	if err != nil {
		return nil
	}
	return p
}

// execOutput runs args in container r and returns what it wrote.
func execOutput(r *container.Record, rd string, args ...string) string {
	f, err := os.CreateTemp("", "kist-exec-")
	if err != nil {
		return err.Error()
	}
	defer os.Remove(f.Name())
	defer f.Close()
	_, err = r.Exec(context.Background(), rd, &sandbox.ExecConfig{Args: args, Stdout: f, Stderr: f})
	b, _ := os.ReadFile(f.Name())
	if err != nil {
		return string(b) + err.Error()
	}
	return string(b)
}

func logOf(r *container.Record, rd string) string {
	b, _ := os.ReadFile(filepath.Join(container.Dir(r.ID), "container.log"))
	return string(b)
}

const nodePortClaim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: store}
spec:
  replicas: 1
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec:
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
      containers:
      - name: store
        image: toolbox
        command: [sh, -c, 'echo kept >> /data/visits; exec httpd -f -p 80 -h /data']
        volumeMounts: [{name: data, mountPath: /data}]
        resources: {limits: {memory: 64Mi, cpu: 500m}}
---
apiVersion: v1
kind: Service
metadata: {name: store}
spec:
  type: NodePort
  selector: {app: store}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: store-internal}
spec:
  selector: {app: store}
  ports: [{port: 8080, targetPort: 80}]
`

// TestNodePortClaimDelete: a NodePort Service reached from the host, a
// claim's volume kept across pods, and a Deployment deleted with its
// ReplicaSets and pods.
func TestNodePortClaimDelete(t *testing.T) {
	clusterEnv(t)
	st, err := Open("default")
	if err != nil {
		t.Fatal(err)
	}
	applyYAML(t, st, nodePortClaim)
	waitFor(t, 30*time.Second, "the pod ready", func() (bool, string) {
		p, s := readyPods(st, "store-")
		return len(p) == 1, s
	})
	// limits are applied where cgroups are delegated; else a warning says why not
	warned := false
	for _, e := range st.Events("") {
		warned = warned || e.Reason == "ResourcesNotApplied"
	}
	if cannot := sandbox.CheckLimits(sandbox.Resources{MemoryBytes: 64 << 20, CPUs: 0.5}); (cannot != nil) != warned {
		t.Errorf("cgroups here: %v; a ResourcesNotApplied warning: %v", cannot, warned)
	}
	// two Services made in one pass get two addresses
	svc, _ := st.Get("Service", "store")
	internal, _ := st.Get("Service", "store-internal")
	if a, b := svc.Resource.(*kube.Service).Spec.ClusterIP, internal.Resource.(*kube.Service).Spec.ClusterIP; a == b || a == "" || b == "" {
		t.Fatalf("the two Services' clusterIPs: %q and %q", a, b)
	}
	np := svc.Resource.(*kube.Service).Spec.Ports[0].NodePort
	if np < 30000 || np > 32767 {
		t.Fatalf("node port %d", np)
	}
	var body string
	waitFor(t, 10*time.Second, "the node port answers", func() (bool, string) {
		out, err := exec.Command("wget", "-q", "-O-", fmt.Sprintf("http://127.0.0.1:%d/visits", np)).CombinedOutput()
		body = string(out)
		return err == nil, body
	})
	if strings.TrimSpace(body) != "kept" {
		t.Fatalf("first pod's visits: %q", body)
	}
	// a new pod of the deployment finds the claim's data
	pods, _ := readyPods(st, "store-")
	st.MarkDeleted("Pod", pods[0].Name())
	Sync("default")
	waitFor(t, 30*time.Second, "the second pod serving", func() (bool, string) {
		out, err := exec.Command("wget", "-q", "-O-", fmt.Sprintf("http://127.0.0.1:%d/visits", np)).CombinedOutput()
		body = string(out)
		return err == nil && strings.Count(body, "kept") == 2, body
	})
	// deleting the deployment takes its ReplicaSet and pods with it
	st.MarkDeleted("Deployment", "store")
	Sync("default")
	waitFor(t, 40*time.Second, "everything of the deployment gone", func() (bool, string) {
		ps, _ := st.List("Pod")
		rs, _ := st.List("ReplicaSet")
		ds, _ := st.List("Deployment")
		return len(ps)+len(rs)+len(ds) == 0, fmt.Sprintf("%d pods, %d replicasets, %d deployments", len(ps), len(rs), len(ds))
	})
	if kps, _ := container.ListPods(); len(kps) != 0 {
		t.Errorf("kist pods left: %d", len(kps))
	}
}
