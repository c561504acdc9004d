package main

import (
	"os"
	"strings"
	"testing"
)

func fixture(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestAcceptsTheValidFixture(t *testing.T) {
	r := checkManifests([]byte(fixture(t)))
	if len(r.problems) > 0 {
		t.Fatalf("problems: %v", r.problems)
	}
	if len(r.lines) != 5 {
		t.Fatalf("want 5 objects checked, got %v", r.lines)
	}
}

// Each case breaks the valid fixture in one place; the check must refuse it, saying why.
func TestNegativeControls(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"misspelt field", "    strategy: Progressive", "    stratgy: Progressive", `unknown field "spec.rollout.stratgy"`},
		{"wrong strategy", "strategy: Progressive", "strategy: Progresive", `spec.rollout.strategy: must be Manual, AllAtOnce or Progressive, got "Progresive"`},
		{"field name in the wrong case", "    strategy: Progressive", "    Strategy: Progressive", `unknown field "spec.rollout.Strategy"`},
		{"pause under 30s", "pauseDuration: 30s", "pauseDuration: 29s", "pauseDuration: at least 30s"},
		{"ramp out of range", "rampPercentage: 50", "rampPercentage: 100", "rampPercentage: from 1 to 99"},
		{"ramp not increasing", "rampPercentage: 50", "rampPercentage: 10", "must increase from step to step"},
		{"Progressive without steps", "    steps:\n      - rampPercentage: 10\n        pauseDuration: 5m\n      - rampPercentage: 50\n        pauseDuration: 30s\n", "", "required for a Progressive rollout"},
		{"sunset missing", "  sunset:\n    scaledownDelay: 1h\n    deleteDelay: 24h\n", "", "spec.sunset: required"},
		{"status in a manifest", "kind: Connection\nmetadata:\n  name: temporal\n", "kind: Connection\nmetadata:\n  name: temporal\nstatus: {}\n", `unknown field "status"`},
		{"connection with both credentials", "  hostPort: temporal-frontend.temporal.svc:7233\n", "  hostPort: temporal-frontend.temporal.svc:7233\n  mutualTLSSecretRef:\n    name: tls\n  apiKeySecretRef:\n    name: key\n    key: key\n", "only one of mutualTLSSecretRef or apiKeySecretRef"},
		{"bad hostPort", "temporal-frontend.temporal.svc:7233", "temporal-frontend.temporal.svc", "spec.hostPort: must be host:port"},
		{"unknown field in a core kind", "          readinessProbe:\n", "          readinesProbe:\n", `unknown field "spec.template.spec.containers[0].readinesProbe"`},
		{"unknown field in an embedded HPA", "      maxReplicas: 3", "      maxReplica: 3", `unknown field "spec.maxReplica"`},
		{"scaleTargetRef filled in", "scaleTargetRef: {}", "scaleTargetRef: {kind: Deployment, name: x}", "must be {}"},
		{"secret value in the manifest", "              valueFrom:\n                secretKeyRef:\n                  name: credentials\n                  key: API_TOKEN\n", "              value: abc\n", "a secret written into the manifest"},
		{"a secret in a ConfigMap", "  TDG_TOKEN_TTL: 8h", "  TDG_AUTH_TOKEN: abc", "data.TDG_AUTH_TOKEN: a secret in a ConfigMap"},
		{"a Secret object", "kind: ConfigMap", "kind: Secret", "a Secret in a manifest"},
		{"unknown kind", "kind: Service", "kind: Servce", "unknown or unexpected kind"},
		{"probe on a port the container lacks", "              port: health\n", "              port: healthz\n", `port "healthz" is not a port of the container`},
		{"service selecting nothing", "  selector:\n    app: worker\n  ports:", "  selector:\n    app: wroker\n  ports:", "spec.selector selects no rendered pod template"},
		{"ConfigMap not rendered", "                name: settings", "                name: settings-5h2k", `envFrom names ConfigMap "settings-5h2k"`},
		{"Connection not rendered", "    connectionRef:\n      name: temporal", "    connectionRef:\n      name: temporal-cloud", `Connection "temporal-cloud" is not rendered`},
		{"duplicate field", "  hostPort: temporal-frontend.temporal.svc:7233\n", "  hostPort: temporal-frontend.temporal.svc:7233\n  hostPort: other:7233\n", `key "hostPort" already set`},
	}
	valid := fixture(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(valid, c.from) {
				t.Fatalf("the fixture has no %q to break", c.from)
			}
			broken := strings.Replace(valid, c.from, c.to, 1)
			r := checkManifests([]byte(broken))
			all := strings.Join(r.problems, "\n")
			if !strings.Contains(all, c.want) {
				t.Fatalf("want a problem containing %q, got:\n%s", c.want, all)
			}
		})
	}
}
