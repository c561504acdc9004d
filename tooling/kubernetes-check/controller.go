package main

// The Temporal Worker Controller's kinds (apiVersion temporal.io/v1alpha1). Its Go module is not
// served by the module proxy this project builds from, so these structs are written here from its
// published API, api/v1alpha1 at tag v1.8.1 (workerdeployment_types.go, connection_types.go,
// workerresourcetemplate_types.go), the CRDs generated from it
// (helm/temporal-worker-controller-crds) and its admission webhook: the same JSON field names,
// the same required fields, and the enum, range, pattern and CEL rules as checks in validate().
// Only what a manifest may set is here: a rendered object carrying `status` is refused.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type twcWorkerDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              *twcWorkerDeploymentSpec `json:"spec"`
}

type twcWorkerDeploymentSpec struct {
	Replicas                *int32                  `json:"replicas,omitempty"`
	Template                *corev1.PodTemplateSpec `json:"template"`
	MinReadySeconds         int32                   `json:"minReadySeconds,omitempty"`
	ProgressDeadlineSeconds *int32                  `json:"progressDeadlineSeconds,omitempty"`
	Rollout                 *twcRollout             `json:"rollout"`
	Sunset                  *twcSunset              `json:"sunset"`
	WorkerOptions           *twcWorkerOptions       `json:"workerOptions"`
}

type twcRollout struct {
	Strategy string    `json:"strategy"`
	Gate     *twcGate  `json:"gate,omitempty"`
	Steps    []twcStep `json:"steps,omitempty"`
}

type twcGate struct {
	WorkflowType string           `json:"workflowType"`
	Input        *json.RawMessage `json:"input,omitempty"`
	InputFrom    *twcGateInput    `json:"inputFrom,omitempty"`
}

type twcGateInput struct {
	ConfigMapKeyRef *corev1.ConfigMapKeySelector `json:"configMapKeyRef,omitempty"`
	SecretKeyRef    *corev1.SecretKeySelector    `json:"secretKeyRef,omitempty"`
}

type twcStep struct {
	RampPercentage *int             `json:"rampPercentage"`
	PauseDuration  *metav1.Duration `json:"pauseDuration"`
}

type twcSunset struct {
	ScaledownDelay *metav1.Duration `json:"scaledownDelay,omitempty"`
	DeleteDelay    *metav1.Duration `json:"deleteDelay,omitempty"`
}

type twcWorkerOptions struct {
	ConnectionRef       *twcNameRef `json:"connectionRef"`
	TemporalNamespace   string      `json:"temporalNamespace"`
	UnsafeCustomBuildID string      `json:"unsafeCustomBuildID,omitempty"`
}

type twcNameRef struct {
	Name string `json:"name"`
}

type twcConnection struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              *twcConnectionSpec `json:"spec"`
}

type twcConnectionSpec struct {
	HostPort           string                    `json:"hostPort"`
	TLS                *twcConnectionTLS         `json:"tls,omitempty"`
	MutualTLSSecretRef *twcNameRef               `json:"mutualTLSSecretRef,omitempty"`
	APIKeySecretRef    *corev1.SecretKeySelector `json:"apiKeySecretRef,omitempty"`
}

type twcConnectionTLS struct {
	ServerName string `json:"serverName,omitempty"`
}

type twcWorkerResourceTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              *twcWorkerResourceTemplateSpec `json:"spec"`
}

type twcWorkerResourceTemplateSpec struct {
	WorkerDeploymentRef         *twcNameRef      `json:"workerDeploymentRef,omitempty"`
	TemporalWorkerDeploymentRef *twcNameRef      `json:"temporalWorkerDeploymentRef,omitempty"`
	Template                    *json.RawMessage `json:"template"`
}

var (
	dnsLabel    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	hostPort    = regexp.MustCompile(`^[a-zA-Z0-9.-]+:[0-9]+$`)
	serverName  = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)
	customBuild = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$`)
)

// The strategies of DefaultVersionUpdateStrategy (+kubebuilder:validation:Enum).
var rolloutStrategies = map[string]bool{"Manual": true, "AllAtOnce": true, "Progressive": true}

const minPause = 30 * time.Second

func (w *twcWorkerDeployment) validate() []string {
	var p []string
	if len(w.Name) > 63 {
		p = append(p, "metadata.name: at most 63 characters")
	}
	s := w.Spec
	if s == nil {
		return append(p, "spec: required")
	}
	if s.Template == nil {
		p = append(p, "spec.template: required")
	} else {
		if len(s.Template.Spec.Containers) == 0 {
			p = append(p, "spec.template.spec.containers: at least one container")
		}
		if rp := s.Template.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
			p = append(p, fmt.Sprintf("spec.template.spec.restartPolicy: only Always, got %q", rp))
		}
	}
	if s.Sunset == nil {
		p = append(p, "spec.sunset: required")
	}
	if s.WorkerOptions == nil {
		p = append(p, "spec.workerOptions: required")
	} else {
		o := s.WorkerOptions
		if o.ConnectionRef == nil || !dnsLabel.MatchString(o.ConnectionRef.Name) {
			p = append(p, "spec.workerOptions.connectionRef.name: required, a DNS label")
		}
		if o.TemporalNamespace == "" {
			p = append(p, "spec.workerOptions.temporalNamespace: required")
		}
		if b := o.UnsafeCustomBuildID; b != "" && (len(b) > 63 || !customBuild.MatchString(b)) {
			p = append(p, fmt.Sprintf("spec.workerOptions.unsafeCustomBuildID: invalid %q", b))
		}
	}
	r := s.Rollout
	if r == nil {
		return append(p, "spec.rollout: required")
	}
	if !rolloutStrategies[r.Strategy] {
		p = append(p, fmt.Sprintf("spec.rollout.strategy: must be Manual, AllAtOnce or Progressive, got %q", r.Strategy))
	}
	if r.Strategy == "Progressive" && len(r.Steps) == 0 {
		p = append(p, "spec.rollout.steps: required for a Progressive rollout")
	}
	if len(r.Steps) > 20 {
		p = append(p, "spec.rollout.steps: at most 20")
	}
	last := 0
	for i, step := range r.Steps {
		at := fmt.Sprintf("spec.rollout.steps[%d]", i)
		if step.RampPercentage == nil {
			p = append(p, at+".rampPercentage: required")
		} else {
			ramp := *step.RampPercentage
			if ramp < 1 || ramp > 99 {
				p = append(p, fmt.Sprintf("%s.rampPercentage: from 1 to 99, got %d", at, ramp))
			}
			if r.Strategy == "Progressive" && ramp <= last {
				p = append(p, fmt.Sprintf("%s.rampPercentage: must increase from step to step, got %d after %d", at, ramp, last))
			}
			last = ramp
		}
		if step.PauseDuration == nil {
			p = append(p, at+".pauseDuration: required")
		} else if step.PauseDuration.Duration < minPause {
			p = append(p, fmt.Sprintf("%s.pauseDuration: at least 30s, got %s", at, step.PauseDuration.Duration))
		}
	}
	if g := r.Gate; g != nil {
		if g.WorkflowType == "" {
			p = append(p, "spec.rollout.gate.workflowType: required")
		}
		if g.Input != nil && g.InputFrom != nil {
			p = append(p, "spec.rollout.gate: only one of input or inputFrom")
		}
		if f := g.InputFrom; f != nil && (f.ConfigMapKeyRef == nil) == (f.SecretKeyRef == nil) {
			p = append(p, "spec.rollout.gate.inputFrom: exactly one of configMapKeyRef or secretKeyRef")
		}
	}
	return p
}

func (c *twcConnection) validate() []string {
	s := c.Spec
	if s == nil {
		return []string{"spec: required"}
	}
	var p []string
	if !hostPort.MatchString(s.HostPort) {
		p = append(p, fmt.Sprintf("spec.hostPort: must be host:port, got %q", s.HostPort))
	}
	if s.TLS != nil && s.TLS.ServerName != "" && !serverName.MatchString(s.TLS.ServerName) {
		p = append(p, fmt.Sprintf("spec.tls.serverName: invalid %q", s.TLS.ServerName))
	}
	if s.MutualTLSSecretRef != nil && s.APIKeySecretRef != nil {
		p = append(p, "spec: only one of mutualTLSSecretRef or apiKeySecretRef")
	}
	if s.MutualTLSSecretRef != nil && !dnsLabel.MatchString(s.MutualTLSSecretRef.Name) {
		p = append(p, "spec.mutualTLSSecretRef.name: required, a DNS label")
	}
	if s.APIKeySecretRef != nil && (s.APIKeySecretRef.Name == "" || s.APIKeySecretRef.Key == "") {
		p = append(p, "spec.apiKeySecretRef: name and key required")
	}
	return p
}

func (t *twcWorkerResourceTemplate) validate() []string {
	s := t.Spec
	if s == nil {
		return []string{"spec: required"}
	}
	var p []string
	if (s.WorkerDeploymentRef == nil) == (s.TemporalWorkerDeploymentRef == nil) {
		p = append(p, "spec: exactly one of workerDeploymentRef or temporalWorkerDeploymentRef")
	}
	for _, ref := range []*twcNameRef{s.WorkerDeploymentRef, s.TemporalWorkerDeploymentRef} {
		if ref != nil && !dnsLabel.MatchString(ref.Name) {
			p = append(p, fmt.Sprintf("spec.workerDeploymentRef.name: a DNS label, got %q", ref.Name))
		}
	}
	if s.Template == nil {
		return append(p, "spec.template: required")
	}
	// The embedded resource is checked like any rendered object, against its own type; the
	// controller fills in scaleTargetRef and owns it: the template must leave it `{}`.
	for _, problem := range checkEmbedded(*s.Template) {
		p = append(p, "spec.template: "+problem)
	}
	return p
}
