// Command kubernetes-check reads rendered Kubernetes manifests (multi-document YAML: files named
// on the command line, or standard input) and checks every object against its upstream
// definition: it decodes each one into the Go type its API group publishes (k8s.io/api for the
// core kinds, prometheus-operator's monitoring/v1, and the Temporal Worker Controller's kinds as
// derived in controller.go) with unknown and duplicate fields refused and names matched
// case-sensitively, as the API server's strict field validation does; then the value rules the
// type itself cannot express (enums, ranges, the controller's CEL and webhook rules), that no
// secret is written into a manifest, and that the objects refer to each other correctly
// (selectors, ports, ConfigMaps, Connections). It prints one line per object and exits 1 when
// any object fails.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	var inputs []string
	if len(os.Args) > 1 {
		inputs = os.Args[1:]
	} else {
		inputs = []string{"-"}
	}
	failed := false
	for _, name := range inputs {
		data, err := read(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(2)
		}
		report := checkManifests(data)
		for _, line := range report.lines {
			fmt.Printf("%s: %s\n", name, line)
		}
		if len(report.problems) > 0 {
			failed = true
			for _, problem := range report.problems {
				fmt.Fprintf(os.Stderr, "%s: %s\n", name, problem)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func read(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(bufio.NewReader(os.Stdin))
	}
	return os.ReadFile(name)
}

// splitDocuments cuts a multi-document YAML stream at its `---` lines, leaving out empty documents.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var current bytes.Buffer
	flush := func() {
		if strings.TrimSpace(current.String()) != "" {
			docs = append(docs, append([]byte(nil), current.Bytes()...))
		}
		current.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.TrimRight(line, " \r\n") == "---" {
			flush()
			continue
		}
		current.WriteString(line)
	}
	flush()
	return docs
}
