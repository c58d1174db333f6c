package cli

import (
	"os"
	"strings"

	"kist/kube/printer"
)

// outputFormats are kubectl get's -o values.
const outputFormats = "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"

// splitOutput splits -o's FORMAT=ARGUMENT (jsonpath={.a}).
func splitOutput(output string) (format, arg string) {
	format, arg, _ = strings.Cut(output, "=")
	return format, arg
}

// templateFlags are kubectl's flags for its template printers.
type templateFlags struct {
	template     string // --template
	allowMissing bool   // --allow-missing-template-keys
	noHeaders    bool   // --no-headers (custom-columns)
}

// templatePrinter is the printer of -o jsonpath=..., go-template=...,
// custom-columns=... and their -file forms; nil for the other formats
// (tables, yaml, json, name). It fails as kubectl does for an unknown
// format.
func templatePrinter(output string, tf templateFlags) (printer.ObjectPrinter, error) {
	format, arg := splitOutput(output)
	if format == "" && tf.template != "" {
		format = "go-template"
	}
	hasArg := strings.Contains(output, "=")
	if !hasArg {
		arg = tf.template
	}
	readFile := func() (string, error) {
		if arg == "" {
			return "", kubectlErr("template format specified but no template file given")
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return "", kubectlErr("error reading --template %s, %v", arg, err)
		}
		return string(b), nil
	}
	switch format {
	case "", "wide", "yaml", "json", "name":
		if hasArg {
			break
		}
		return nil, nil
	case "jsonpath", "jsonpath-as-json", "jsonpath-file":
		tpl := arg
		if format == "jsonpath-file" {
			var err error
			if tpl, err = readFile(); err != nil {
				return nil, err
			}
		} else if tpl == "" {
			return nil, kubectlErr("template format specified but no template given")
		}
		p, err := printer.NewJSONPath(tpl, tf.allowMissing, format == "jsonpath-as-json")
		if err != nil {
			return nil, kubectlErr("%v", err)
		}
		return p, nil
	case "go-template", "template", "go-template-file", "templatefile":
		tpl := arg
		if format == "go-template-file" || format == "templatefile" {
			var err error
			if tpl, err = readFile(); err != nil {
				return nil, err
			}
		} else if tpl == "" {
			return nil, kubectlErr("template format specified but no template given")
		}
		p, err := printer.NewGoTemplate(tpl, tf.allowMissing)
		if err != nil {
			return nil, kubectlErr("%v", err)
		}
		return p, nil
	case "custom-columns", "custom-columns-file":
		var p *printer.CustomColumnsPrinter
		var err error
		if format == "custom-columns-file" {
			f, ferr := os.Open(arg)
			if ferr != nil {
				return nil, kubectlErr("error reading template %s, %v", arg, ferr)
			}
			defer f.Close()
			p, err = printer.NewCustomColumnsFile(f)
		} else {
			p, err = printer.NewCustomColumns(arg)
		}
		if err != nil {
			return nil, kubectlErr("%v", err)
		}
		p.NoHeaders = tf.noHeaders
		return p, nil
	}
	return nil, kubectlErr("unable to match a printer suitable for the output format %q, allowed formats are: %s", output, outputFormats)
}
