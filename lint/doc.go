// Package lint checks Dockerfiles and compose files against rules with
// stable ids: what kist grade uses to mark a student's files (an
// assignment gives rules points, or turns them off, by id) and what the
// check scripts' lint command runs. Every rule has a title and a fix in
// English and Dutch (Rules, Find); a finding (Finding) names its rule,
// its file and line, and says what is wrong there in the language asked
// (Options.Lang).
//
// The ids below are stable: a rule may get better at finding what it
// looks for, but its id does not change and is not reused.
//
// # Dockerfiles
//
// Dockerfile parses the file as kist build does, with buildkit's parser
// and instruction types, and reports the rules of buildkit's Dockerfile
// linter under buildkit's own names. A Dockerfile that cannot be parsed
// is an error ("Dockerfile:LINE: what is wrong"), not a finding.
// instructions.Parse reports three of buildkit's rules itself; the others
// buildkit only checks while converting to LLB, which kist does not do,
// so this package checks them the same way, with the linter's own rule
// values (names and English messages).
//
//	ConsistentInstructionCasing     instructions all in upper case or all in lower case
//	CopyIgnoredFile                 no COPY or ADD of a file .dockerignore leaves out
//	DuplicateStageName              no two stages with the same name
//	ExposeInvalidFormat             EXPOSE gives a container port, not an address or host port
//	ExposeProtoCasing               the protocol in EXPOSE is in lower case
//	FromAsCasing                    AS in the same case as FROM
//	FromPlatformFlagConstDisallowed FROM --platform is not one fixed platform
//	InvalidDefaultArgInFrom         the ARGs in FROM have defaults that give a valid image name
//	JSONArgsRecommended             CMD and ENTRYPOINT in JSON form (not when the stage set a SHELL)
//	LegacyKeyValueFormat            ENV and LABEL as key=value
//	MaintainerDeprecated            no MAINTAINER
//	MultipleInstructionsDisallowed  at most one CMD, ENTRYPOINT and HEALTHCHECK per stage
//	NoEmptyContinuation             no empty line inside an instruction that continues with \
//	RedundantTargetPlatform         no FROM --platform=$TARGETPLATFORM
//	ReservedStageName               no stage named scratch or context
//	SecretsUsedInArgOrEnv           no passwords, tokens or keys in ARG or ENV
//	StageNameCasing                 stage names in lower case
//	UndefinedArgInFrom              FROM uses only ARGs declared before the first FROM
//	WorkdirRelativePath             the first WORKDIR of a stage is an absolute path
//
// Unlike buildkit, these checks look at every stage, not only those the
// target needs, and ignore "# check=skip=..." directives: a student cannot
// turn off a rule that is graded. buildkit's UndefinedVar and
// InvalidBaseImagePlatform need the base image's configuration, which a
// linter does not fetch; InvalidDefinitionDescription is experimental.
// They are not reported.
//
// kist's own rules for Dockerfiles, for teaching:
//
//	latest-tag       a FROM image has a tag, and not latest (scratch, earlier
//	                 stages, digests and names that stay unresolved are fine)
//	add-not-copy     ADD only where COPY will not do: URLs, git addresses,
//	                 tar archives to unpack
//	apt-lists        a RUN with apt-get install (or apt install) removes
//	                 /var/lib/apt/lists in the same RUN
//	runs-as-root     the final stage switches to a user other than root
//	                 (not checked for FROM scratch)
//	no-dockerignore  COPY . (the whole context) has a .dockerignore beside it
//
// # Compose files
//
// Compose reads the file as a YAML node tree, for the lines; a YAML syntax
// error is an error with file:line.
//
//	ports-not-strings   short-syntax ports are quoted strings ("8080:80")
//	unknown-key         every key is one the compose specification has there
//	                    (its JSON schema, as compose-go embeds it); x- keys
//	                    are free
//	depends-on-missing  depends_on names services the file has
//	version-obsolete    no top-level version key
//	host-path-outside   bind mounts and build contexts stay inside the
//	                    compose file's folder
//
// unknown-key walks the schema alongside the file and reports a key only
// where it can tell which part of the schema applies; what a YAML alias
// or merge key (<<) brings in is not checked. depends-on-missing is not
// checked in a file with include:, whose services may come from elsewhere.
//
// Dir lints a folder: its Dockerfile and its compose file (compose.yaml,
// compose.yml, docker-compose.yaml or docker-compose.yml, the first
// there is). Findings come sorted by file, line and rule.
package lint
