// Validates dockwatch's Kubernetes manifests without a cluster: every document
// is decoded strictly (unknown fields fail) into the k8s.io/api type of its
// kind (KEDA's ScaledObject into the subset of its API written below), and
// the rules of infra/k8s/README.md are checked: non-root, read-only root
// filesystem, no privilege escalation, probes and ports from the topology,
// resources, secrets as files, scaling targets.
//
//	go run . -expect '<json>' FILE...        ("-" reads stdin, e.g. kubectl kustomize output)
//
// The expectation (health ports, groups, topics, partitions) comes from
// libs/contracts through libs/test-helpers/test/k8s-manifests.test.ts.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

type expectation struct {
	Ports      map[string]int32  `json:"ports"`
	Groups     map[string]string `json:"groups"`
	Topics     map[string]string `json:"topics"`
	Partitions int32             `json:"partitions"`
}

// The part of KEDA's v1alpha1 ScaledObject these manifests use (field names
// as in KEDA's API reference); anything else in a manifest is an error here.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		Triggers        []struct {
			Type              string            `json:"type"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
			} `json:"authenticationRef"`
		} `json:"triggers"`
	} `json:"spec"`
}

// A kustomization.yaml, the fields used here.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

type world struct {
	deployments  map[string]*appsv1.Deployment
	daemonSets   map[string]*appsv1.DaemonSet
	secrets      map[string]*corev1.Secret
	configMaps   map[string]*corev1.ConfigMap
	scaled       []*scaledObject
	errs         []string
	documents    int
	kustomizeDir []string
}

func (w *world) fail(where, format string, args ...any) {
	w.errs = append(w.errs, where+": "+fmt.Sprintf(format, args...))
}

func strict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

var separator = regexp.MustCompile(`(?m)^---\s*$`)

func (w *world) file(name string, data []byte) {
	if filepath.Base(name) == "kustomization.yaml" {
		w.kustomization(name, data)
		return
	}
	for i, doc := range separator.Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		where := fmt.Sprintf("%s#%d", name, i)
		var head metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			w.fail(where, "not YAML: %v", err)
			continue
		}
		w.documents++
		var obj any
		switch head.APIVersion + "/" + head.Kind {
		case "v1/Namespace":
			obj = &corev1.Namespace{}
		case "v1/ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1/Secret":
			obj = &corev1.Secret{}
		case "apps/v1/Deployment":
			obj = &appsv1.Deployment{}
		case "apps/v1/DaemonSet":
			obj = &appsv1.DaemonSet{}
		case "keda.sh/v1alpha1/ScaledObject":
			obj = &scaledObject{}
		default:
			w.fail(where, "unexpected kind %s/%s", head.APIVersion, head.Kind)
			continue
		}
		if err := strict([]byte(doc), obj); err != nil {
			w.fail(where, "%s %s: %v", head.APIVersion, head.Kind, err)
			continue
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			w.deployments[o.Name] = o
		case *appsv1.DaemonSet:
			w.daemonSets[o.Name] = o
		case *corev1.Secret:
			w.secrets[o.Name] = o
		case *corev1.ConfigMap:
			w.configMaps[o.Name] = o
		case *scaledObject:
			w.scaled = append(w.scaled, o)
		}
	}
}

func (w *world) kustomization(name string, data []byte) {
	var k kustomization
	if err := strict(data, &k); err != nil {
		w.fail(name, "kustomization: %v", err)
		return
	}
	dir := filepath.Dir(name)
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			w.fail(name, "resource %s: %v", r, err)
		}
	}
	// Every manifest beside it is one of its resources (none forgotten).
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(k.Resources, b) {
			w.fail(name, "%s is not among its resources", b)
		}
	}
	w.kustomizeDir = append(w.kustomizeDir, dir)
}

func quantity(w *world, where, what string, list corev1.ResourceList, key corev1.ResourceName) *resource.Quantity {
	q, ok := list[key]
	if !ok || q.IsZero() {
		w.fail(where, "no %s %s", what, key)
		return nil
	}
	return &q
}

func (w *world) container(where string, pod *corev1.PodSpec, c corev1.Container, init bool) {
	where += "/" + c.Name
	sc := c.SecurityContext
	if sc == nil {
		w.fail(where, "no securityContext")
		return
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		w.fail(where, "allowPrivilegeEscalation is not false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		w.fail(where, "readOnlyRootFilesystem is not true")
	}
	if sc.Privileged != nil && *sc.Privileged {
		w.fail(where, "privileged")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		w.fail(where, "does not drop ALL capabilities")
	}
	root := (sc.RunAsUser != nil && *sc.RunAsUser == 0) || (sc.RunAsUser == nil && pod.SecurityContext != nil && pod.SecurityContext.RunAsUser != nil && *pod.SecurityContext.RunAsUser == 0)
	nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (sc.RunAsNonRoot == nil && pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot)
	if init {
		// An init container may run as root only to own a directory: CHOWN and FOWNER, nothing else.
		if root {
			for _, c := range sc.Capabilities.Add {
				if c != "CHOWN" && c != "FOWNER" {
					w.fail(where, "root init container adds capability %s", c)
				}
			}
		}
	} else {
		if root || !nonRoot {
			w.fail(where, "not runAsNonRoot")
		}
		if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
			w.fail(where, "adds capabilities %v", sc.Capabilities.Add)
		}
	}
	req := quantity(w, where, "request", c.Resources.Requests, corev1.ResourceMemory)
	lim := quantity(w, where, "limit", c.Resources.Limits, corev1.ResourceMemory)
	if req != nil && lim != nil && req.Cmp(*lim) > 0 {
		w.fail(where, "memory request above its limit")
	}
	req = quantity(w, where, "request", c.Resources.Requests, corev1.ResourceCPU)
	lim = quantity(w, where, "limit", c.Resources.Limits, corev1.ResourceCPU)
	if req != nil && lim != nil && req.Cmp(*lim) > 0 {
		w.fail(where, "cpu request above its limit")
	}
	// A <NAME>_FILE names a file of a mounted Secret key that exists.
	for _, e := range c.Env {
		if !strings.HasSuffix(e.Name, "_FILE") || e.Value == "" {
			continue
		}
		w.secretFile(where, pod, c, e.Name, e.Value)
	}
}

func (w *world) secretFile(where string, pod *corev1.PodSpec, c corev1.Container, name, path string) {
	for _, m := range c.VolumeMounts {
		if !strings.HasPrefix(path, m.MountPath+"/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			if !m.ReadOnly {
				w.fail(where, "secret volume %s is not mounted read-only", v.Name)
			}
			s := w.secrets[v.Secret.SecretName]
			key := strings.TrimPrefix(path, m.MountPath+"/")
			if s == nil {
				w.fail(where, "%s: Secret %s is not among the manifests", name, v.Secret.SecretName)
			} else if _, ok := s.StringData[key]; !ok {
				if _, ok := s.Data[key]; !ok {
					w.fail(where, "%s: Secret %s has no key %s", name, s.Name, key)
				}
			}
			return
		}
	}
	w.fail(where, "%s=%s is not in a mounted Secret", name, path)
}

func envValue(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

func (w *world) service(where, name string, sel *metav1.LabelSelector, tpl corev1.PodTemplateSpec, exp expectation) {
	pod := &tpl.Spec
	if sel == nil || len(sel.MatchLabels) == 0 {
		w.fail(where, "no selector")
	}
	for k, v := range sel.MatchLabels {
		if tpl.Labels[k] != v {
			w.fail(where, "selector %s=%s does not match the pod template", k, v)
		}
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		w.fail(where, "pod securityContext.runAsNonRoot is not true")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		w.fail(where, "mounts a service account token it does not use")
	}
	for _, c := range pod.InitContainers {
		w.container(where, pod, c, true)
	}
	var main *corev1.Container
	for i := range pod.Containers {
		w.container(where, pod, pod.Containers[i], false)
		if pod.Containers[i].Name == name {
			main = &pod.Containers[i]
		}
	}
	if main == nil {
		w.fail(where, "no container named %s", name)
		return
	}
	port, ok := exp.Ports[name]
	if !ok {
		w.fail(where, "no health port expected for %s", name)
		return
	}
	if e, ok := envValue(*main, "HEALTH_PORT"); !ok || e.Value != fmt.Sprint(port) {
		w.fail(where, "HEALTH_PORT is not %d", port)
	}
	named := ""
	for _, p := range main.Ports {
		if p.ContainerPort == port {
			named = p.Name
		}
	}
	if named == "" {
		w.fail(where, "no containerPort %d", port)
	}
	probe := func(what string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			w.fail(where, "no HTTP %s probe", what)
			return
		}
		if p.HTTPGet.Path != path {
			w.fail(where, "%s probe on %s, not %s", what, p.HTTPGet.Path, path)
		}
		if !(p.HTTPGet.Port.IntValue() == int(port) || (named != "" && p.HTTPGet.Port.String() == named)) {
			w.fail(where, "%s probe not on the health port %d", what, port)
		}
	}
	probe("liveness", main.LivenessProbe, "/healthz")
	probe("readiness", main.ReadinessProbe, "/readyz")
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 30 {
		w.fail(where, "terminationGracePeriodSeconds below the services' 30 s stop bound")
	}
}

func (w *world) check(exp expectation) {
	for _, name := range []string{"decoder", "rules", "sink"} {
		d := w.deployments[name]
		if d == nil {
			w.fail("Deployment "+name, "missing")
			continue
		}
		w.service("Deployment "+name, name, d.Spec.Selector, d.Spec.Template, exp)
	}
	ds := w.daemonSets["collector"]
	if ds == nil {
		w.fail("DaemonSet collector", "missing")
	} else {
		where := "DaemonSet collector"
		w.service(where, "collector", ds.Spec.Selector, ds.Spec.Template, exp)
		pod := ds.Spec.Template.Spec
		hostPaths := map[string]string{}
		for _, v := range pod.Volumes {
			if v.HostPath != nil {
				hostPaths[v.Name] = v.HostPath.Path
			}
		}
		if !slices.Contains(mapValues(hostPaths), "/var/run/docker.sock") {
			w.fail(where, "the node's Docker socket is not mounted")
		}
		for _, c := range pod.Containers {
			if c.Name != "collector" {
				continue
			}
			if e, ok := envValue(c, "AGENT_NAME"); !ok || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
				w.fail(where, "AGENT_NAME is not the node's name (downward API spec.nodeName)")
			}
			dir, _ := envValue(c, "COLLECTOR_STATE_DIR")
			stateOnNode := false
			for _, m := range c.VolumeMounts {
				if m.MountPath == dir.Value && hostPaths[m.Name] != "" {
					stateOnNode = true
				}
			}
			if !stateOnNode {
				w.fail(where, "COLLECTOR_STATE_DIR %q is not a directory of the node (hostPath)", dir.Value)
			}
		}
	}
	for _, s := range w.scaled {
		where := "ScaledObject " + s.Name
		t := s.Spec.ScaleTargetRef
		if (t.Kind != "" && t.Kind != "Deployment") || w.deployments[t.Name] == nil {
			w.fail(where, "target %s %s is not one of the Deployments", t.Kind, t.Name)
			continue
		}
		if s.Spec.MaxReplicaCount == nil || *s.Spec.MaxReplicaCount > exp.Partitions {
			w.fail(where, "maxReplicaCount unset or above the %d partitions (extra replicas would idle)", exp.Partitions)
		}
		if s.Spec.MinReplicaCount == nil || *s.Spec.MinReplicaCount < 1 {
			w.fail(where, "minReplicaCount below 1")
		}
		if len(s.Spec.Triggers) == 0 {
			w.fail(where, "no trigger")
		}
		for _, tr := range s.Spec.Triggers {
			if tr.Type != "kafka" {
				w.fail(where, "trigger %s, not kafka", tr.Type)
				continue
			}
			for _, key := range []string{"bootstrapServers", "consumerGroup", "topic", "lagThreshold"} {
				if tr.Metadata[key] == "" {
					w.fail(where, "kafka trigger without %s", key)
				}
			}
			for key := range tr.Metadata {
				if !slices.Contains([]string{"bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset", "limitToPartitionsWithLag", "excludePersistentLag", "version", "sasl", "tls"}, key) {
					w.fail(where, "unknown kafka trigger metadata %s", key)
				}
			}
			if g := exp.Groups[t.Name]; tr.Metadata["consumerGroup"] != g {
				w.fail(where, "consumerGroup %q, the Deployment's group is %q", tr.Metadata["consumerGroup"], g)
			}
			if topic := exp.Topics[t.Name]; tr.Metadata["topic"] != topic {
				w.fail(where, "topic %q, the Deployment consumes %q", tr.Metadata["topic"], topic)
			}
			if cm := w.configMaps["dockwatch-config"]; cm != nil && tr.Metadata["bootstrapServers"] != cm.Data["KAFKA_BROKERS"] {
				w.fail(where, "bootstrapServers differ from dockwatch-config's KAFKA_BROKERS")
			}
		}
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func main() {
	expect := flag.String("expect", "", "JSON: {ports, groups, topics, partitions} from libs/contracts")
	flag.Parse()
	var exp expectation
	if err := json.Unmarshal([]byte(*expect), &exp); err != nil || len(exp.Ports) == 0 {
		fmt.Fprintln(os.Stderr, "validate: -expect needs the topology JSON (see libs/test-helpers/test/k8s-manifests.test.ts)")
		os.Exit(2)
	}
	w := &world{deployments: map[string]*appsv1.Deployment{}, daemonSets: map[string]*appsv1.DaemonSet{}, secrets: map[string]*corev1.Secret{}, configMaps: map[string]*corev1.ConfigMap{}}
	for _, name := range flag.Args() {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			w.fail(name, "%v", err)
			continue
		}
		w.file(name, data)
	}
	w.check(exp)
	if len(w.errs) > 0 {
		for _, e := range w.errs {
			fmt.Fprintln(os.Stderr, e)
		}
		os.Exit(1)
	}
	fmt.Printf("ok: %d documents in %d file(s), %d kustomization(s), strict k8s.io/api decoding and dockwatch's rules\n", w.documents, len(flag.Args()), len(w.kustomizeDir))
}
