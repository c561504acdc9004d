package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	strictjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The kinds a manifest here may hold, each with the type that defines it. Anything else is refused:
// an unknown kind cannot be checked. A Secret is refused too: secrets are created out of band and
// only referred to.
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Namespace":                            func() any { return &corev1.Namespace{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/Ingress":            func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"monitoring.coreos.com/v1/PodMonitor":     func() any { return &monitoringv1.PodMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
	"temporal.io/v1alpha1/WorkerDeployment":   func() any { return &twcWorkerDeployment{} },
	"temporal.io/v1alpha1/Connection":         func() any { return &twcConnection{} },
	"temporal.io/v1alpha1/WorkerResourceTemplate": func() any {
		return &twcWorkerResourceTemplate{}
	},
}

// The kinds a WorkerResourceTemplate may embed (the controller's default allow-list is HPAs).
var embeddable = map[string]bool{"autoscaling/v2/HorizontalPodAutoscaler": true}

type report struct {
	lines    []string
	problems []string
}

type object struct {
	id    string // Kind/name
	value any
}

func checkManifests(data []byte) report {
	var r report
	var objects []object
	for i, doc := range splitDocuments(data) {
		value, id, problems := decode(doc, false)
		if id == "" {
			id = fmt.Sprintf("document %d", i+1)
		}
		for _, p := range problems {
			r.problems = append(r.problems, id+": "+p)
		}
		if value != nil {
			objects = append(objects, object{id, value})
		}
		if len(problems) == 0 {
			r.lines = append(r.lines, "ok "+id)
		}
	}
	for _, p := range crossChecks(objects) {
		r.problems = append(r.problems, p)
	}
	if len(objects) == 0 && len(r.problems) == 0 {
		r.problems = append(r.problems, "no objects")
	}
	return r
}

// checkEmbedded checks a resource embedded in a WorkerResourceTemplate like a rendered object.
func checkEmbedded(raw []byte) []string {
	_, _, problems := decode(raw, true)
	return problems
}

func decode(doc []byte, embedded bool) (any, string, []string) {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, "", []string{"not YAML: " + err.Error()}
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, "", []string{"not an object: " + err.Error()}
	}
	id := head.Kind + "/" + head.Metadata.Name
	key := head.APIVersion + "/" + head.Kind
	if head.Kind == "Secret" {
		return nil, id, []string{"a Secret in a manifest: create secrets out of band and refer to them (secretKeyRef)"}
	}
	newValue, known := kinds[key]
	if !known || (embedded && !embeddable[key]) {
		return nil, id, []string{fmt.Sprintf("unknown or unexpected kind %q: nothing to check it against", key)}
	}
	value := newValue()
	strict, err := strictjson.UnmarshalStrict(data, value, strictjson.DisallowDuplicateFields, strictjson.DisallowUnknownFields)
	if err != nil {
		return nil, id, []string{"does not match " + key + ": " + err.Error()}
	}
	var problems []string
	for _, e := range strict {
		problems = append(problems, e.Error())
	}
	if !embedded {
		problems = append(problems, checkName(head.Kind, head.Metadata.Name)...)
	}
	problems = append(problems, validate(value, embedded)...)
	return value, id, problems
}

func checkName(kind, name string) []string {
	if name == "" {
		return []string{"metadata.name: required"}
	}
	check := validation.IsDNS1123Subdomain
	if kind == "Service" || kind == "Namespace" {
		check = validation.IsDNS1123Label
	}
	var p []string
	for _, msg := range check(name) {
		p = append(p, "metadata.name: "+msg)
	}
	return p
}

type validator interface{ validate() []string }

func validate(value any, embedded bool) []string {
	var p []string
	if v, ok := value.(validator); ok {
		p = append(p, v.validate()...)
	}
	switch o := value.(type) {
	case *appsv1.Deployment:
		p = append(p, checkDeployment(o)...)
	case *twcWorkerDeployment:
		if o.Spec != nil && o.Spec.Template != nil {
			p = append(p, checkPodSpec("spec.template.spec", &o.Spec.Template.Spec)...)
		}
	case *corev1.Service:
		p = append(p, checkService(o)...)
	case *networkingv1.Ingress:
		p = append(p, checkIngress(o)...)
	case *networkingv1.NetworkPolicy:
		p = append(p, checkNetworkPolicy(o)...)
	case *policyv1.PodDisruptionBudget:
		if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			p = append(p, "spec: exactly one of minAvailable or maxUnavailable")
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		p = append(p, checkHPA(o, embedded)...)
	case *corev1.ConfigMap:
		for key := range o.Data {
			if secretName.MatchString(key) {
				p = append(p, fmt.Sprintf("data.%s: a secret in a ConfigMap; refer to a Secret instead", key))
			}
		}
	case *monitoringv1.PrometheusRule:
		for _, g := range o.Spec.Groups {
			for _, rule := range g.Rules {
				if (rule.Alert == "") == (rule.Record == "") || rule.Expr.String() == "" {
					p = append(p, fmt.Sprintf("spec.groups[%s]: each rule is an alert or a record, with an expr", g.Name))
				}
			}
		}
	}
	return p
}

// Names of variables that hold secrets (the rule test/deployment.test.ts applies to .env.example):
// their value must come from a Secret. TDG_TOKEN_TTL is a setting, TDG_AUTH_TOKEN a secret.
var secretName = regexp.MustCompile(`(SECRET|PASSWORD|API_KEY|TOKEN$|_KEYS?$)`)

func oneOf(at, value string, allowed ...string) []string {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: must be one of %s, got %q", at, strings.Join(allowed, ", "), value)}
}

func checkDeployment(d *appsv1.Deployment) []string {
	var p []string
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels) == 0 {
		p = append(p, "spec.selector.matchLabels: required")
	} else if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		p = append(p, "spec.selector: does not select spec.template's labels")
	}
	if t := d.Spec.Strategy.Type; t != "" {
		p = append(p, oneOf("spec.strategy.type", string(t), "RollingUpdate", "Recreate")...)
	}
	return append(p, checkPodSpec("spec.template.spec", &d.Spec.Template.Spec)...)
}

func checkPodSpec(at string, spec *corev1.PodSpec) []string {
	var p []string
	if len(spec.Containers) == 0 {
		p = append(p, at+".containers: at least one")
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for i, c := range spec.Containers {
		cat := fmt.Sprintf("%s.containers[%d]", at, i)
		if c.Name == "" || c.Image == "" {
			p = append(p, cat+": name and image required")
		}
		if c.ImagePullPolicy != "" {
			p = append(p, oneOf(cat+".imagePullPolicy", string(c.ImagePullPolicy), "Always", "IfNotPresent", "Never")...)
		}
		ports := map[string]bool{}
		for _, port := range c.Ports {
			if port.Name != "" {
				for _, msg := range validation.IsValidPortName(port.Name) {
					p = append(p, fmt.Sprintf("%s.ports[%s]: %s", cat, port.Name, msg))
				}
				ports[port.Name] = true
			}
			if port.Protocol != "" {
				p = append(p, oneOf(cat+".ports.protocol", string(port.Protocol), "TCP", "UDP", "SCTP")...)
			}
		}
		for name, probe := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.StrVal != "" && !ports[probe.HTTPGet.Port.StrVal] {
				p = append(p, fmt.Sprintf("%s.%s: port %q is not a port of the container", cat, name, probe.HTTPGet.Port.StrVal))
			}
		}
		seen := map[string]bool{}
		for _, env := range c.Env {
			if seen[env.Name] {
				p = append(p, fmt.Sprintf("%s.env: %s twice", cat, env.Name))
			}
			seen[env.Name] = true
			if secretName.MatchString(env.Name) && env.Value != "" {
				p = append(p, fmt.Sprintf("%s.env.%s: a secret written into the manifest; use valueFrom.secretKeyRef", cat, env.Name))
			}
			if ref := env.ValueFrom; ref != nil && ref.SecretKeyRef != nil && (ref.SecretKeyRef.Name == "" || ref.SecretKeyRef.Key == "") {
				p = append(p, fmt.Sprintf("%s.env.%s: secretKeyRef needs name and key", cat, env.Name))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				p = append(p, fmt.Sprintf("%s.volumeMounts: no volume %q", cat, m.Name))
			}
		}
	}
	return p
}

func checkService(s *corev1.Service) []string {
	var p []string
	if t := s.Spec.Type; t != "" {
		p = append(p, oneOf("spec.type", string(t), "ClusterIP", "NodePort", "LoadBalancer", "ExternalName")...)
	}
	if len(s.Spec.Ports) == 0 {
		p = append(p, "spec.ports: at least one")
	}
	return p
}

func checkIngress(in *networkingv1.Ingress) []string {
	var p []string
	for _, rule := range in.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, path := range rule.HTTP.Paths {
			if path.PathType == nil {
				p = append(p, "spec.rules.http.paths.pathType: required")
			} else {
				p = append(p, oneOf("spec.rules.http.paths.pathType", string(*path.PathType), "Exact", "Prefix", "ImplementationSpecific")...)
			}
		}
	}
	return p
}

func checkNetworkPolicy(n *networkingv1.NetworkPolicy) []string {
	var p []string
	for _, t := range n.Spec.PolicyTypes {
		p = append(p, oneOf("spec.policyTypes", string(t), "Ingress", "Egress")...)
	}
	return p
}

func checkHPA(h *autoscalingv2.HorizontalPodAutoscaler, embedded bool) []string {
	var p []string
	empty := autoscalingv2.CrossVersionObjectReference{}
	if embedded && h.Spec.ScaleTargetRef != empty {
		p = append(p, "spec.scaleTargetRef: must be {} (the Worker Controller fills it in per version)")
	}
	if !embedded && h.Spec.ScaleTargetRef == empty {
		p = append(p, "spec.scaleTargetRef: required")
	}
	if h.Spec.MaxReplicas < 1 || (h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas) {
		p = append(p, "spec: maxReplicas must be at least 1 and at least minReplicas")
	}
	for _, m := range h.Spec.Metrics {
		p = append(p, oneOf("spec.metrics.type", string(m.Type), "Object", "Pods", "Resource", "ContainerResource", "External")...)
	}
	return p
}

// selects reports whether every label of the selector is among the labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

type podTemplate struct {
	owner  string
	labels map[string]string
	spec   *corev1.PodSpec
}

// crossChecks: what refers to something else refers to an object rendered with it.
func crossChecks(objects []object) []string {
	var pods []podTemplate
	configMaps := map[string]bool{}
	services := map[string]*corev1.Service{}
	names := map[string]bool{}
	for _, o := range objects {
		names[o.id] = true
		switch v := o.value.(type) {
		case *appsv1.Deployment:
			pods = append(pods, podTemplate{o.id, v.Spec.Template.Labels, &v.Spec.Template.Spec})
		case *twcWorkerDeployment:
			if v.Spec != nil && v.Spec.Template != nil {
				pods = append(pods, podTemplate{o.id, v.Spec.Template.Labels, &v.Spec.Template.Spec})
			}
		case *corev1.ConfigMap:
			configMaps[v.Name] = true
		case *corev1.Service:
			services[v.Name] = v
		}
	}
	var p []string
	podsOf := func(selector map[string]string) []podTemplate {
		var found []podTemplate
		for _, pod := range pods {
			if selects(selector, pod.labels) {
				found = append(found, pod)
			}
		}
		return found
	}
	hasPort := func(found []podTemplate, name string) bool {
		for _, pod := range found {
			for _, c := range pod.spec.Containers {
				for _, port := range c.Ports {
					if port.Name == name {
						return true
					}
				}
			}
		}
		return false
	}
	for _, pod := range pods {
		for _, c := range pod.spec.Containers {
			for _, from := range c.EnvFrom {
				if from.ConfigMapRef != nil && !configMaps[from.ConfigMapRef.Name] {
					p = append(p, fmt.Sprintf("%s: envFrom names ConfigMap %q, which is not rendered", pod.owner, from.ConfigMapRef.Name))
				}
			}
		}
	}
	for _, o := range objects {
		switch v := o.value.(type) {
		case *corev1.Service:
			found := podsOf(v.Spec.Selector)
			if len(found) == 0 {
				p = append(p, o.id+": spec.selector selects no rendered pod template")
			}
			for _, port := range v.Spec.Ports {
				if port.TargetPort.StrVal != "" && !hasPort(found, port.TargetPort.StrVal) {
					p = append(p, fmt.Sprintf("%s: targetPort %q is no port of the pods it selects", o.id, port.TargetPort.StrVal))
				}
			}
		case *policyv1.PodDisruptionBudget:
			if v.Spec.Selector == nil || len(podsOf(v.Spec.Selector.MatchLabels)) == 0 {
				p = append(p, o.id+": spec.selector selects no rendered pod template")
			}
		case *networkingv1.NetworkPolicy:
			if len(v.Spec.PodSelector.MatchLabels) > 0 && len(podsOf(v.Spec.PodSelector.MatchLabels)) == 0 {
				p = append(p, o.id+": spec.podSelector selects no rendered pod template")
			}
		case *monitoringv1.PodMonitor:
			found := podsOf(v.Spec.Selector.MatchLabels)
			if len(found) == 0 {
				p = append(p, o.id+": spec.selector selects no rendered pod template")
			}
			for _, endpoint := range v.Spec.PodMetricsEndpoints {
				if endpoint.Port != nil && !hasPort(found, *endpoint.Port) {
					p = append(p, fmt.Sprintf("%s: port %q is no port of the pods it selects", o.id, *endpoint.Port))
				}
			}
		case *networkingv1.Ingress:
			for _, rule := range v.Spec.Rules {
				if rule.HTTP == nil {
					continue
				}
				for _, path := range rule.HTTP.Paths {
					backend := path.Backend.Service
					if backend == nil {
						continue
					}
					service := services[backend.Name]
					if service == nil {
						p = append(p, fmt.Sprintf("%s: backend Service %q is not rendered", o.id, backend.Name))
						continue
					}
					if !servicePort(service, backend.Port) {
						p = append(p, fmt.Sprintf("%s: Service %q has no such port", o.id, backend.Name))
					}
				}
			}
		case *twcWorkerDeployment:
			if v.Spec != nil && v.Spec.WorkerOptions != nil && v.Spec.WorkerOptions.ConnectionRef != nil &&
				!names["Connection/"+v.Spec.WorkerOptions.ConnectionRef.Name] {
				p = append(p, fmt.Sprintf("%s: Connection %q is not rendered", o.id, v.Spec.WorkerOptions.ConnectionRef.Name))
			}
		case *twcWorkerResourceTemplate:
			if v.Spec != nil && v.Spec.WorkerDeploymentRef != nil && !names["WorkerDeployment/"+v.Spec.WorkerDeploymentRef.Name] {
				p = append(p, fmt.Sprintf("%s: WorkerDeployment %q is not rendered", o.id, v.Spec.WorkerDeploymentRef.Name))
			}
		}
	}
	sort.Strings(p)
	return p
}

func servicePort(s *corev1.Service, port networkingv1.ServiceBackendPort) bool {
	for _, sp := range s.Spec.Ports {
		if (port.Name != "" && sp.Name == port.Name) || (port.Number != 0 && sp.Port == port.Number) {
			return true
		}
	}
	return false
}
