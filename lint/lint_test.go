package lint

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ruleCase is one input for one rule: line > 0 wants a finding of rule
// at that line, line 0 wants none of rule at all.
type ruleCase struct {
	name  string
	kind  string            // kindDockerfile or kindCompose
	text  string            // the Dockerfile or compose.yaml
	files map[string]string // other files in the folder
	rule  string
	line  int
	msg   string // when set, the finding's English message contains it
}

func df(name, text, rule string, line int) ruleCase {
	return ruleCase{name: name, kind: kindDockerfile, text: text, rule: rule, line: line}
}

func cf(name, text, rule string, line int) ruleCase {
	return ruleCase{name: name, kind: kindCompose, text: text, rule: rule, line: line}
}

func (c ruleCase) with(files map[string]string) ruleCase { c.files = files; return c }
func (c ruleCase) saying(msg string) ruleCase            { c.msg = msg; return c }

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var ruleCases = []ruleCase{
	// latest-tag
	df("no tag", "FROM python\nCMD [\"python\"]\n", ruleLatestTag, 1).saying("FROM python has no tag"),
	df("latest", "FROM python:latest\n", ruleLatestTag, 1),
	df("latest from an ARG default", "ARG TAG=latest\nFROM python:${TAG}\n", ruleLatestTag, 2),
	df("second stage untagged", "FROM golang:1.22 AS build\nFROM alpine\n", ruleLatestTag, 2),
	df("versioned", "FROM python:3.12-slim\n", ruleLatestTag, 0),
	df("scratch", "FROM scratch\n", ruleLatestTag, 0),
	df("digest", "FROM python@"+digest+"\n", ruleLatestTag, 0),
	df("earlier stage", "FROM golang:1.22 AS build\nFROM build\n", ruleLatestTag, 0),
	df("unresolved ARG", "ARG TAG\nFROM python:${TAG}\n", ruleLatestTag, 0),
	df("versioned ARG", "ARG TAG=3.12\nFROM python:${TAG}\n", ruleLatestTag, 0),
	df("registry port is not a tag", "FROM localhost:5000/app:1.0\n", ruleLatestTag, 0),

	// add-not-copy
	df("ADD a file", "FROM alpine:3.20\nADD app.py /app/\n", ruleAddNotCopy, 2),
	df("ADD a folder", "FROM alpine:3.20\nWORKDIR /app\nADD src/ ./src/\n", ruleAddNotCopy, 3),
	df("ADD a URL", "FROM alpine:3.20\nADD https://example.com/data.txt /data/\n", ruleAddNotCopy, 0),
	df("ADD a tar archive", "FROM alpine:3.20\nADD app.tar.gz /opt/\n", ruleAddNotCopy, 0),
	df("ADD a git repository", "FROM alpine:3.20\nADD https://github.com/moby/buildkit.git#v0.10.1 /src\n", ruleAddNotCopy, 0),
	df("ADD a git ssh address", "FROM alpine:3.20\nADD git@github.com:moby/buildkit.git /src\n", ruleAddNotCopy, 0),
	df("ADD a pattern matching a tar", "FROM alpine:3.20\nADD files/* /opt/\n", ruleAddNotCopy, 0).
		with(map[string]string{"files/a.tar": "x"}),
	df("COPY a file", "FROM alpine:3.20\nCOPY app.py /app/\n", ruleAddNotCopy, 0),

	// apt-lists
	df("apt-get install", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", ruleAptLists, 2),
	df("apt install", "FROM debian:12\nRUN apt update && apt install -y curl\n", ruleAptLists, 2),
	df("exec form", "FROM debian:12\nRUN [\"apt-get\", \"install\", \"-y\", \"curl\"]\n", ruleAptLists, 2),
	df("heredoc", "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n", ruleAptLists, 2),
	df("continued lines", "FROM debian:12\nRUN apt-get update \\\n && apt-get install -y curl\n", ruleAptLists, 2),
	df("rm in a later RUN", "FROM debian:12\nRUN apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n", ruleAptLists, 2),
	df("rm in the same RUN", "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n", ruleAptLists, 0),
	df("rm in the same heredoc", "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nrm -rf /var/lib/apt/lists/*\nEOF\n", ruleAptLists, 0),
	df("cache mount", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl\n", ruleAptLists, 0),
	df("update only", "FROM debian:12\nRUN apt-get update\n", ruleAptLists, 0),
	df("apt-cache", "FROM debian:12\nRUN apt-cache search install\n", ruleAptLists, 0),

	// runs-as-root
	df("no USER", "FROM alpine:3.20\nCMD [\"sh\"]\n", ruleRunsAsRoot, 1),
	df("USER root last", "FROM alpine:3.20\nUSER 1000\nUSER root\n", ruleRunsAsRoot, 3),
	df("USER 0:0", "FROM alpine:3.20\nUSER 0:0\n", ruleRunsAsRoot, 2),
	df("USER in another stage", "FROM alpine:3.20 AS build\nUSER 1000\nFROM alpine:3.20\nCMD [\"sh\"]\n", ruleRunsAsRoot, 3),
	df("USER 1000", "FROM alpine:3.20\nUSER 1000\n", ruleRunsAsRoot, 0),
	df("USER app:app", "FROM alpine:3.20\nUSER app:app\n", ruleRunsAsRoot, 0),
	df("USER from the base stage", "FROM alpine:3.20 AS base\nUSER app\nFROM base\nCMD [\"sh\"]\n", ruleRunsAsRoot, 0),
	df("scratch", "FROM golang:1.22 AS build\nRUN true\nFROM scratch\nCOPY --from=build /app /app\n", ruleRunsAsRoot, 0),

	// no-dockerignore
	df("COPY .", "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\n", ruleNoDockerignore, 3),
	df("COPY ./", "FROM alpine:3.20\nCOPY ./ /app/\n", ruleNoDockerignore, 2),
	df("with .dockerignore", "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\n", ruleNoDockerignore, 0).
		with(map[string]string{".dockerignore": ".git\n"}),
	df("with Dockerfile.dockerignore", "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\n", ruleNoDockerignore, 0).
		with(map[string]string{"Dockerfile.dockerignore": ".git\n"}),
	df("COPY a file", "FROM alpine:3.20\nCOPY app.py /app/\n", ruleNoDockerignore, 0),
	df("COPY --from", "FROM alpine:3.20 AS build\nFROM alpine:3.20\nCOPY --from=build . /x\n", ruleNoDockerignore, 0),

	// buildkit's rules
	df("CMD shell form", "FROM alpine:3.20\nCMD echo hi\n", "JSONArgsRecommended", 2),
	df("ENTRYPOINT shell form", "FROM alpine:3.20\nENTRYPOINT echo hi\n", "JSONArgsRecommended", 2),
	df("CMD exec form", "FROM alpine:3.20\nCMD [\"echo\", \"hi\"]\n", "JSONArgsRecommended", 0),
	df("CMD after SHELL", "FROM alpine:3.20\nSHELL [\"/bin/ash\", \"-c\"]\nCMD echo hi\n", "JSONArgsRecommended", 0),
	df("SHELL in the base stage", "FROM alpine:3.20 AS base\nSHELL [\"/bin/ash\", \"-c\"]\nFROM base\nCMD echo hi\n", "JSONArgsRecommended", 0),

	df("mixed case", "FROM alpine:3.20\nRUN true\nrun true\nCMD [\"sh\"]\n", "ConsistentInstructionCasing", 3),
	df("upper case", "FROM alpine:3.20\nRUN true\nCMD [\"sh\"]\n", "ConsistentInstructionCasing", 0),

	df("duplicate stage", "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS a\n", "DuplicateStageName", 2),
	df("distinct stages", "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS b\n", "DuplicateStageName", 0),

	df("stage named scratch", "FROM alpine:3.20 AS scratch\n", "ReservedStageName", 1),
	df("stage named build", "FROM alpine:3.20 AS build\n", "ReservedStageName", 0),

	df("two CMDs", "FROM alpine:3.20\nCMD [\"a\"]\nCMD [\"b\"]\n", "MultipleInstructionsDisallowed", 2),
	df("two HEALTHCHECKs", "FROM alpine:3.20\nHEALTHCHECK CMD [\"true\"]\nHEALTHCHECK NONE\n", "MultipleInstructionsDisallowed", 2),
	df("CMD per stage", "FROM alpine:3.20 AS a\nCMD [\"a\"]\nFROM alpine:3.20\nCMD [\"b\"]\n", "MultipleInstructionsDisallowed", 0),

	df("relative WORKDIR", "FROM alpine:3.20\nWORKDIR app\n", "WorkdirRelativePath", 2),
	df("relative after absolute", "FROM alpine:3.20\nWORKDIR /app\nWORKDIR sub\n", "WorkdirRelativePath", 0),

	df("misspelt ARG in FROM", "ARG VERSION=3.20\nFROM alpine:${VERSON}\n", "UndefinedArgInFrom", 2).saying("did you mean VERSION?"),
	df("declared ARG in FROM", "ARG VERSION=3.20\nFROM alpine:${VERSION}\n", "UndefinedArgInFrom", 0),

	df("ARG without default in FROM", "ARG IMAGE\nFROM ${IMAGE}\n", "InvalidDefaultArgInFrom", 2),
	df("ARG with default in FROM", "ARG IMAGE=alpine:3.20\nFROM ${IMAGE}\n", "InvalidDefaultArgInFrom", 0),

	df("MAINTAINER", "FROM alpine:3.20\nMAINTAINER me@example.com\n", "MaintainerDeprecated", 2),
	df("LABEL", "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=me@example.com\n", "MaintainerDeprecated", 0),

	df("stage name in capitals", "FROM alpine:3.20 AS Build\n", "StageNameCasing", 1),
	df("stage name in lower case", "FROM alpine:3.20 AS build\n", "StageNameCasing", 0),

	df("FROM ... as", "FROM alpine:3.20 as build\n", "FromAsCasing", 1),
	df("from ... as", "from alpine:3.20 as build\n", "FromAsCasing", 0),

	df("empty continuation line", "FROM alpine:3.20\nRUN echo a \\\n\n  b\n", "NoEmptyContinuation", 4),
	df("continuation", "FROM alpine:3.20\nRUN echo a \\\n  b\n", "NoEmptyContinuation", 0),

	df("ENV key value", "FROM alpine:3.20\nENV NAME value\n", "LegacyKeyValueFormat", 2),
	df("LABEL key value", "FROM alpine:3.20\nLABEL name value\n", "LegacyKeyValueFormat", 2),
	df("ENV key=value", "FROM alpine:3.20\nENV NAME=value\n", "LegacyKeyValueFormat", 0),

	df("ENV password", "FROM alpine:3.20\nENV DB_PASSWORD=secret\n", "SecretsUsedInArgOrEnv", 2),
	df("ARG token", "FROM alpine:3.20\nARG API_TOKEN\n", "SecretsUsedInArgOrEnv", 2),
	df("ENV public key", "FROM alpine:3.20\nENV PUBLIC_KEY=abc\n", "SecretsUsedInArgOrEnv", 0),

	df("EXPOSE UDP", "FROM alpine:3.20\nEXPOSE 53/UDP\n", "ExposeProtoCasing", 2),
	df("EXPOSE udp", "FROM alpine:3.20\nEXPOSE 53/udp\n", "ExposeProtoCasing", 0),

	df("EXPOSE host:container", "FROM alpine:3.20\nEXPOSE 8080:80\n", "ExposeInvalidFormat", 2),
	df("EXPOSE container port", "FROM alpine:3.20\nEXPOSE 80\n", "ExposeInvalidFormat", 0),

	df("platform TARGETPLATFORM", "FROM --platform=$TARGETPLATFORM alpine:3.20\n", "RedundantTargetPlatform", 1),
	df("platform BUILDPLATFORM", "FROM --platform=$BUILDPLATFORM alpine:3.20\n", "RedundantTargetPlatform", 0),

	df("constant platform", "FROM --platform=linux/amd64 alpine:3.20\n", "FromPlatformFlagConstDisallowed", 1),
	df("constant platform in a named stage", "FROM --platform=linux/amd64 alpine:3.20 AS build-amd64\n", "FromPlatformFlagConstDisallowed", 0),

	df("COPY an ignored file", "FROM alpine:3.20\nCOPY secret.txt /x\n", "CopyIgnoredFile", 2).
		with(map[string]string{".dockerignore": "secret.txt\n"}),
	df("COPY a file not ignored", "FROM alpine:3.20\nCOPY app.py /x\n", "CopyIgnoredFile", 0).
		with(map[string]string{".dockerignore": "secret.txt\n"}),

	// ports-not-strings
	cf("host:container unquoted", "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - 8080:80\n", rulePortsNotStrings, 5),
	cf("container port unquoted", "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - 80\n", rulePortsNotStrings, 5),
	cf("flow sequence", "services:\n  web:\n    image: nginx:1.27\n    ports: [8080:80]\n", rulePortsNotStrings, 4),
	cf("quoted", "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"8080:80\"\n      - '8443:443'\n", rulePortsNotStrings, 0),
	cf("long syntax", "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - target: 80\n        published: 8080\n", rulePortsNotStrings, 0),

	// unknown-key
	cf("service key", "services:\n  web:\n    image: nginx:1.27\n    portz:\n      - \"8080:80\"\n", ruleUnknownKey, 4).
		saying("services.web.portz: compose has no key portz here (did you mean ports?)"),
	cf("top-level key", "servics:\n  web:\n    image: nginx:1.27\n", ruleUnknownKey, 1).saying("did you mean services?"),
	cf("build key", "services:\n  web:\n    build:\n      context: .\n      dockerfil: Dockerfile\n", ruleUnknownKey, 5).
		saying("services.web.build.dockerfil"),
	cf("healthcheck key", "services:\n  web:\n    image: nginx:1.27\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      intervall: 5s\n", ruleUnknownKey, 6),
	cf("deploy key", "services:\n  web:\n    image: nginx:1.27\n    deploy:\n      resources:\n        limits:\n          cpu: \"0.5\"\n", ruleUnknownKey, 7).
		saying("did you mean cpus?"),
	cf("service network key", "services:\n  web:\n    image: nginx:1.27\n    networks:\n      front:\n        aliasses: [www]\nnetworks:\n  front: {}\n", ruleUnknownKey, 6),
	cf("top-level volume key", "services:\n  db:\n    image: postgres:16\nvolumes:\n  data:\n    drivr: local\n", ruleUnknownKey, 6),
	cf("long port key", "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - target: 80\n        publishd: 8080\n", ruleUnknownKey, 6),
	cf("depends_on key", "services:\n  web:\n    image: nginx:1.27\n    depends_on:\n      db:\n        conditon: service_healthy\n  db:\n    image: postgres:16\n", ruleUnknownKey, 6),
	cf("key at the wrong level", "services:\n  web:\n    image: nginx:1.27\n  ports:\n    - \"80:80\"\n", ruleUnknownKey, 0),
	cf("x- keys", "x-common:\n  anything: 1\nservices:\n  web:\n    image: nginx:1.27\n    x-note: hello\n    build:\n      context: .\n      x-also: 1\n", ruleUnknownKey, 0),
	cf("free-form maps", "services:\n  web:\n    image: nginx:1.27\n    labels:\n      com.example.anything: \"1\"\n    environment:\n      ANY_NAME: x\n    logging:\n      driver: json-file\n      options:\n        max-size: 10m\n", ruleUnknownKey, 0),
	cf("anchors and merge keys", "x-base: &base\n  restart: always\nservices:\n  web:\n    <<: *base\n    image: nginx:1.27\n", ruleUnknownKey, 0),
	cf("many valid keys", validCompose, ruleUnknownKey, 0),

	// depends-on-missing
	cf("list form", "services:\n  web:\n    image: nginx:1.27\n    depends_on:\n      - db\n      - cache\n  db:\n    image: postgres:16\n", ruleDependsOnMiss, 6),
	cf("mapping form", "services:\n  web:\n    image: nginx:1.27\n    depends_on:\n      dbb:\n        condition: service_started\n  db:\n    image: postgres:16\n", ruleDependsOnMiss, 5).
		saying("did you mean db?"),
	cf("existing", "services:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n  db:\n    image: postgres:16\n", ruleDependsOnMiss, 0),
	cf("with include", "include:\n  - other.yaml\nservices:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n", ruleDependsOnMiss, 0),

	// version-obsolete
	cf("version", "version: \"3.8\"\nservices:\n  web:\n    image: nginx:1.27\n", ruleVersionObsolete, 1),
	cf("name", "name: demo\nservices:\n  web:\n    image: nginx:1.27\n", ruleVersionObsolete, 0),
	cf("version inside a service", "services:\n  web:\n    image: nginx:1.27\n    environment:\n      version: \"1\"\n", ruleVersionObsolete, 0),

	// host-path-outside
	cf("parent folder", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ../data:/data\n", ruleHostPathOutside, 5),
	cf("absolute path", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - /etc/nginx:/etc/nginx:ro\n", ruleHostPathOutside, 5),
	cf("home folder", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ~/site:/usr/share/nginx/html\n", ruleHostPathOutside, 5),
	cf("long syntax bind", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - type: bind\n        source: ../site\n        target: /usr/share/nginx/html\n", ruleHostPathOutside, 6),
	cf("build outside", "services:\n  web:\n    build: ../\n", ruleHostPathOutside, 3),
	cf("build context outside", "services:\n  web:\n    build:\n      context: ../app\n", ruleHostPathOutside, 4),
	cf("inside", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./html:/usr/share/nginx/html\n      - ./sub/../html:/x\n      - .:/src\n", ruleHostPathOutside, 0),
	cf("named volume", "services:\n  db:\n    image: postgres:16\n    volumes:\n      - data:/var/lib/postgresql/data\n      - type: volume\n        source: data\n        target: /backup\nvolumes:\n  data:\n", ruleHostPathOutside, 0),
	cf("build inside", "services:\n  web:\n    build: .\n  api:\n    build:\n      context: ./api\n", ruleHostPathOutside, 0),
}

// validCompose uses many keys of the specification, all correctly.
const validCompose = `name: shop
services:
  web:
    build:
      context: ./web
      dockerfile: Dockerfile
      args:
        VERSION: "1"
      target: final
    image: shop-web:1.0
    container_name: shop-web
    command: ["nginx", "-g", "daemon off;"]
    environment:
      - MODE=prod
    env_file: .env
    ports:
      - "8080:80"
      - target: 443
        published: "8443"
        protocol: tcp
    expose: ["9000"]
    volumes:
      - ./html:/usr/share/nginx/html:ro
      - type: volume
        source: cache
        target: /cache
        volume:
          nocopy: true
    networks:
      front:
        aliases: [www]
      back: {}
    depends_on:
      db:
        condition: service_healthy
        restart: true
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
      interval: 10s
      timeout: 3s
      retries: 3
      start_period: 5s
    deploy:
      replicas: 2
      resources:
        limits:
          cpus: "0.5"
          memory: 256M
      restart_policy:
        condition: on-failure
    restart: unless-stopped
    user: "1000:1000"
    working_dir: /app
    read_only: true
    tmpfs: /tmp
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
    logging:
      driver: json-file
    secrets:
      - source: token
        target: token
    configs:
      - site
    profiles: [prod]
    develop:
      watch:
        - action: sync
          path: ./web
          target: /app
  db:
    image: postgres:16
    shm_size: 128mb
    stop_grace_period: 30s
    volumes:
      - data:/var/lib/postgresql/data
    networks: [back]
    extra_hosts:
      - "host.docker.internal:host-gateway"
networks:
  front:
  back:
    driver: bridge
    internal: true
    ipam:
      config:
        - subnet: 172.28.0.0/16
volumes:
  data:
  cache:
    driver: local
    labels:
      purpose: cache
secrets:
  token:
    file: ./token.txt
configs:
  site:
    file: ./site.conf
`

// lintCase lints c's text, in a new folder with c's files, in lang.
func lintCase(t *testing.T, c ruleCase, lang string) []Finding {
	t.Helper()
	dir := t.TempDir()
	for name, text := range c.files {
		writeFile(t, dir, name, text)
	}
	if c.kind == kindDockerfile {
		writeFile(t, dir, "Dockerfile", c.text)
		fs, err := Dockerfile(dir, "Dockerfile", Options{Lang: lang})
		if err != nil {
			t.Fatalf("Dockerfile:\n%s\nerror: %v", c.text, err)
		}
		return fs
	}
	writeFile(t, dir, "compose.yaml", c.text)
	fs, err := Compose(dir, "compose.yaml", Options{Lang: lang})
	if err != nil {
		t.Fatalf("compose.yaml:\n%s\nerror: %v", c.text, err)
	}
	return fs
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRules(t *testing.T) {
	for _, c := range ruleCases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			if _, ok := Find(c.rule); !ok {
				t.Fatalf("rule %s is not in Rules()", c.rule)
			}
			fs := lintCase(t, c, "en")
			checkFindings(t, fs)
			var got []Finding
			for _, f := range fs {
				if f.Rule == c.rule {
					got = append(got, f)
				}
			}
			if c.line == 0 {
				if len(got) > 0 {
					t.Errorf("input:\n%s\nwant no %s, got %v", c.text, c.rule, got)
				}
				return
			}
			i := slices.IndexFunc(got, func(f Finding) bool { return f.Line == c.line })
			if i < 0 {
				t.Fatalf("input:\n%s\nwant %s at line %d, got %v (all: %v)", c.text, c.rule, c.line, got, fs)
			}
			if c.msg != "" && !strings.Contains(got[i].Message, c.msg) {
				t.Errorf("message %q does not say %q", got[i].Message, c.msg)
			}
			r, _ := Find(c.rule)
			if r.Source != srcKist {
				return
			}
			nl := lintCase(t, c, "nl")
			j := slices.IndexFunc(nl, func(f Finding) bool { return f.Rule == c.rule && f.Line == c.line })
			if j < 0 {
				t.Fatalf("in Dutch, no %s at line %d: %v", c.rule, c.line, nl)
			}
			if nl[j].Message == got[i].Message {
				t.Errorf("the Dutch message is the English one: %q", nl[j].Message)
			}
		})
	}
}

// checkFindings checks what every result must be: known rules, sorted,
// with a file and a message.
func checkFindings(t *testing.T, fs []Finding) {
	t.Helper()
	for i, f := range fs {
		if _, ok := Find(f.Rule); !ok {
			t.Errorf("finding %v: rule %q is not in Rules()", f, f.Rule)
		}
		if f.File == "" || f.Message == "" || f.Line < 0 {
			t.Errorf("finding %#v lacks a file or message", f)
		}
		if i > 0 {
			p := fs[i-1]
			if p.File > f.File || p.File == f.File && (p.Line > f.Line || p.Line == f.Line && p.Rule > f.Rule) {
				t.Errorf("findings not sorted: %v before %v", p, f)
			}
		}
	}
}

// Every rule has a test that triggers it and one that must not.
func TestEveryRuleTested(t *testing.T) {
	for _, r := range Rules() {
		var hit, miss bool
		for _, c := range ruleCases {
			if c.rule == r.ID {
				hit = hit || c.line > 0
				miss = miss || c.line == 0
			}
		}
		if !hit || !miss {
			t.Errorf("rule %s: a case that triggers it: %v, one that must not: %v", r.ID, hit, miss)
		}
	}
}

func TestRuleList(t *testing.T) {
	rs := Rules()
	seen := map[string]bool{}
	kebab := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	for i, r := range rs {
		if seen[r.ID] {
			t.Errorf("rule id %s twice", r.ID)
		}
		seen[r.ID] = true
		if r.Kind != kindDockerfile && r.Kind != kindCompose {
			t.Errorf("%s: kind %q", r.ID, r.Kind)
		}
		switch r.Source {
		case srcKist:
			if !kebab.MatchString(r.ID) {
				t.Errorf("%s: kist's ids are kebab-case", r.ID)
			}
		case srcBuildkit:
			if r.Kind != kindDockerfile {
				t.Errorf("%s: buildkit's rules are for Dockerfiles", r.ID)
			}
		default:
			t.Errorf("%s: source %q", r.ID, r.Source)
		}
		for _, lang := range []string{"en", "nl"} {
			if strings.TrimSpace(r.Title[lang]) == "" || strings.TrimSpace(r.Fix[lang]) == "" {
				t.Errorf("%s: no %s title or fix", r.ID, lang)
			}
		}
		if r.Title["en"] == r.Title["nl"] || r.Fix["en"] == r.Fix["nl"] {
			t.Errorf("%s: the Dutch title or fix is the English one", r.ID)
		}
		if i > 0 {
			p := rs[i-1]
			if p.Kind > r.Kind || p.Kind == r.Kind && p.ID >= r.ID {
				t.Errorf("Rules() not sorted by kind then id: %s before %s", p.ID, r.ID)
			}
		}
		got, ok := Find(r.ID)
		if !ok || got.ID != r.ID || got.Title["nl"] != r.Title["nl"] {
			t.Errorf("Find(%q) = %v, %v", r.ID, got, ok)
		}
	}
	if _, ok := Find("no-such-rule"); ok {
		t.Error("Find found a rule that does not exist")
	}
	// Rules() is the caller's own copy.
	rs[0].Title["en"] = "changed"
	if Rules()[0].Title["en"] == "changed" {
		t.Error("changing what Rules() returned changed the rules")
	}
}

// Every id doc.go lists is a rule, and every rule is in doc.go.
func TestDocListsRules(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !regexp.MustCompile(`(?m)^//\t` + regexp.QuoteMeta(r.ID) + `\s`).Match(doc) {
			t.Errorf("doc.go does not list rule %s", r.ID)
		}
	}
}

const goodDockerfile = `FROM python:3.12-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
COPY app.py .
USER 1000
CMD ["python", "app.py"]
`

const goodCompose = `services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
    volumes:
      - ./html:/usr/share/nginx/html
    depends_on:
      - db
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: example
    volumes:
      - data:/var/lib/postgresql/data
volumes:
  data:
`

func TestCleanFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Dockerfile", goodDockerfile)
	writeFile(t, dir, "compose.yaml", goodCompose)
	for _, lang := range []string{"en", "nl"} {
		fs, err := Dir(dir, Options{Lang: lang})
		if err != nil || len(fs) != 0 {
			t.Errorf("%s: a good Dockerfile and compose file: %v, %v", lang, fs, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"FROM without image", "FROM\n", `^Dockerfile:1: `},
		{"unknown instruction", "FROM alpine:3.20\nFOO bar\n", `^Dockerfile:2: .*FOO`},
		{"RUN before FROM", "RUN true\nFROM alpine:3.20\n", `^Dockerfile:1: RUN comes before the first FROM`},
		{"bad flag", "FROM alpine:3.20\nCOPY --nope a b\n", `^Dockerfile:2: `},
		{"empty", "# nothing\n", `^Dockerfile: `},
		{"no FROM", "ARG X=1\n", `^Dockerfile: .*FROM`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "Dockerfile", c.text)
			fs, err := Dockerfile(dir, "Dockerfile", Options{})
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %v (findings %v), want %s", err, fs, c.want)
			}
		})
	}
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", "services:\n  web:\n    image: nginx\n   ports: [\n")
	if _, err := Compose(dir, "compose.yaml", Options{}); err == nil || !regexp.MustCompile(`^compose\.yaml:\d+: `).MatchString(err.Error()) {
		t.Errorf("broken YAML: error %v, want compose.yaml:LINE: ...", err)
	}
	writeFile(t, dir, "list.yaml", "- a\n- b\n")
	if _, err := Compose(dir, "list.yaml", Options{}); err == nil || !strings.HasPrefix(err.Error(), "list.yaml:1: ") {
		t.Errorf("a list at the top: error %v", err)
	}
	if _, err := Dockerfile(dir, "Nope", Options{}); err == nil || !strings.HasPrefix(err.Error(), "Nope: ") {
		t.Errorf("a missing Dockerfile: error %v", err)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	if fs, err := Dir(dir, Options{}); err != nil || len(fs) != 0 {
		t.Errorf("an empty folder: %v, %v", fs, err)
	}
	writeFile(t, dir, "docker-compose.yml", "version: \"3\"\nservices: {}\n")
	writeFile(t, dir, "compose.yml", "services: {}\n")
	if fs, err := Dir(dir, Options{}); err != nil || len(fs) != 0 {
		t.Errorf("compose.yml comes before docker-compose.yml: %v, %v", fs, err)
	}
	writeFile(t, dir, "Dockerfile", "FROM python\n")
	fs, err := Dir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.File+":"+f.Rule)
	}
	want := []string{"Dockerfile:latest-tag", "Dockerfile:runs-as-root"}
	if !slices.Equal(got, want) {
		t.Errorf("Dir: %v, want %v", got, want)
	}
	// A Dockerfile that does not parse: the compose file is still linted.
	writeFile(t, dir, "Dockerfile", "FROM\n")
	writeFile(t, dir, "compose.yml", "version: \"3\"\nservices: {}\n")
	fs, err = Dir(dir, Options{})
	if err == nil || len(fs) != 1 || fs[0].Rule != ruleVersionObsolete || fs[0].File != "compose.yml" {
		t.Errorf("Dir with a broken Dockerfile: %v, %v", fs, err)
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "docker/Dockerfile.prod", "FROM python\nUSER 1000\n")
	abs := filepath.Join(dir, "docker", "Dockerfile.prod")
	for _, file := range []string{"docker/Dockerfile.prod", abs} {
		fs, err := Dockerfile(dir, file, Options{})
		if err != nil || len(fs) != 1 || fs[0].File != "docker/Dockerfile.prod" {
			t.Errorf("Dockerfile(%q): %v, %v", file, fs, err)
		}
	}
	// The Dockerfile's own ignore file counts.
	writeFile(t, dir, "docker/Dockerfile.prod", "FROM python:3.12\nUSER 1000\nCOPY . /app\n")
	if fs, _ := Dockerfile(dir, "docker/Dockerfile.prod", Options{}); len(fs) != 1 || fs[0].Rule != ruleNoDockerignore {
		t.Errorf("no ignore file: %v", fs)
	}
	writeFile(t, dir, "docker/Dockerfile.prod.dockerignore", ".git\n")
	if fs, _ := Dockerfile(dir, "docker/Dockerfile.prod", Options{}); len(fs) != 0 {
		t.Errorf("with Dockerfile.prod.dockerignore: %v", fs)
	}
	// A compose file in a subfolder: paths are relative to its folder.
	writeFile(t, dir, "app/compose.yaml", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ../html:/html\n")
	fs, err := Compose(dir, "app/compose.yaml", Options{})
	if err != nil || len(fs) != 1 || fs[0].Rule != ruleHostPathOutside || fs[0].File != "app/compose.yaml" {
		t.Errorf("app/compose.yaml: %v, %v", fs, err)
	}
}

func TestFindingString(t *testing.T) {
	f := Finding{Rule: "latest-tag", File: "Dockerfile", Line: 3, Message: "FROM python has no tag"}
	if got, want := f.String(), "Dockerfile:3: FROM python has no tag (latest-tag)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	f.Line = 0
	if got, want := f.String(), "Dockerfile: FROM python has no tag (latest-tag)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestBindSource(t *testing.T) {
	for _, c := range []struct {
		spec, src string
		bind      bool
	}{
		{"./html:/usr/share/nginx/html", "./html", true},
		{"/etc/x:/x:ro", "/etc/x", true},
		{`C:\data:/data`, `C:\data`, true},
		{"~/site:/usr/share/nginx/html:ro", "~/site", true},
		{"${DATA:-./data}:/data", "${DATA:-./data}", false},
		{"data:/var/lib/postgresql/data", "data", false},
		{"/only/a/container/path", "", false},
	} {
		if src, bind := bindSource(c.spec); src != c.src || bind != c.bind {
			t.Errorf("bindSource(%q) = %q, %v; want %q, %v", c.spec, src, bind, c.src, c.bind)
		}
	}
}
