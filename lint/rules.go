package lint

import (
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
)

// The kinds and sources of rules.
const (
	kindDockerfile = "dockerfile"
	kindCompose    = "compose"
	srcBuildkit    = "buildkit"
	srcKist        = "kist"
)

// The ids of kist's own rules.
const (
	ruleLatestTag       = "latest-tag"
	ruleAddNotCopy      = "add-not-copy"
	ruleAptLists        = "apt-lists"
	ruleRunsAsRoot      = "runs-as-root"
	ruleNoDockerignore  = "no-dockerignore"
	rulePortsNotStrings = "ports-not-strings"
	ruleUnknownKey      = "unknown-key"
	ruleDependsOnMiss   = "depends-on-missing"
	ruleVersionObsolete = "version-obsolete"
	ruleHostPathOutside = "host-path-outside"
)

// bk is a rule from buildkit's linter, under buildkit's own name.
func bk(name, titleEN, titleNL, fixEN, fixNL string) Rule {
	return Rule{ID: name, Kind: kindDockerfile, Source: srcBuildkit,
		Title: map[string]string{"en": titleEN, "nl": titleNL},
		Fix:   map[string]string{"en": fixEN, "nl": fixNL}}
}

// own is one of kist's teaching rules.
func own(kind, id, titleEN, titleNL, fixEN, fixNL string) Rule {
	return Rule{ID: id, Kind: kind, Source: srcKist,
		Title: map[string]string{"en": titleEN, "nl": titleNL},
		Fix:   map[string]string{"en": fixEN, "nl": fixNL}}
}

// rules returns all rules, built on first use. The ids are stable:
// assignments weigh and disable rules by id.
var rules = sync.OnceValue(func() []Rule {
	return []Rule{
		// buildkit's rules, by buildkit's names. Those instructions.Parse
		// reports itself: MaintainerDeprecated, StageNameCasing, FromAsCasing.
		// The others buildkit checks while converting to LLB; this package
		// checks them itself (dockerfile.go).
		bk(linter.RuleConsistentInstructionCasing.Name,
			"Write all instructions in the same case",
			"Schrijf alle instructies op dezelfde manier: in hoofdletters of in kleine letters",
			"Write every instruction in the same case; upper case (FROM, RUN, COPY) is the usual choice.",
			"Schrijf elke instructie op dezelfde manier; hoofdletters (FROM, RUN, COPY) is de gebruikelijke keuze."),
		bk(linter.RuleCopyIgnoredFile.Name,
			"Do not copy files that .dockerignore leaves out",
			"Kopieer geen bestanden die .dockerignore weglaat",
			"The file is not in the build context because .dockerignore excludes it. Remove its line from .dockerignore, or remove the file from the COPY.",
			"Het bestand zit niet in de build-context omdat .dockerignore het weglaat. Haal de regel uit .dockerignore, of haal het bestand uit de COPY."),
		bk(linter.RuleDuplicateStageName.Name,
			"Give each stage its own name",
			"Geef elke stage een eigen naam",
			"Two FROM ... AS lines use the same name. Rename one of the stages, and the COPY --from lines that use it.",
			"Twee regels FROM ... AS gebruiken dezelfde naam. Geef een van de stages een andere naam, en pas de regels COPY --from die hem gebruiken aan."),
		bk(linter.RuleExposeInvalidFormat.Name,
			"EXPOSE only the container's port",
			"Geef bij EXPOSE alleen de poort in de container",
			"EXPOSE says which port the program listens on inside the container, e.g. EXPOSE 80. The host port is chosen when the container starts (-p 8080:80, or ports: in compose).",
			"EXPOSE zegt op welke poort het programma in de container luistert, bijvoorbeeld EXPOSE 80. De poort op de host kies je bij het starten (-p 8080:80, of ports: in compose)."),
		bk(linter.RuleExposeProtoCasing.Name,
			"Write the protocol in EXPOSE in lower case",
			"Schrijf het protocol bij EXPOSE in kleine letters",
			"Write EXPOSE 53/udp, not EXPOSE 53/UDP.",
			"Schrijf EXPOSE 53/udp, niet EXPOSE 53/UDP."),
		bk(linter.RuleFromAsCasing.Name,
			"Write AS in the same case as FROM",
			"Schrijf AS op dezelfde manier als FROM",
			"Write FROM image AS name (both upper case) or from image as name (both lower case).",
			"Schrijf FROM image AS naam (allebei hoofdletters) of from image as naam (allebei kleine letters)."),
		bk(linter.RuleFromPlatformFlagConstDisallowed.Name,
			"Do not fix FROM --platform to one platform",
			"Zet FROM --platform niet vast op één platform",
			"Leave out --platform, so the image is built for the machine that builds it, or use a variable such as --platform=$BUILDPLATFORM.",
			"Laat --platform weg, zodat de image gebouwd wordt voor de machine die hem bouwt, of gebruik een variabele zoals --platform=$BUILDPLATFORM."),
		bk(linter.RuleInvalidDefaultArgInFrom.Name,
			"Give the ARGs in FROM defaults that make a valid image name",
			"Geef de ARG's in FROM standaardwaarden die een geldige imagenaam opleveren",
			"Without build arguments this FROM line gives an empty or invalid image name. Give the ARG a default, e.g. ARG VERSION=3.12.",
			"Zonder build-argumenten levert deze FROM-regel een lege of ongeldige imagenaam op. Geef de ARG een standaardwaarde, bijvoorbeeld ARG VERSION=3.12."),
		bk(linter.RuleJSONArgsRecommended.Name,
			"Write CMD and ENTRYPOINT in JSON form",
			"Schrijf CMD en ENTRYPOINT in JSON-vorm",
			`Write CMD ["python", "app.py"] instead of CMD python app.py: then your program itself gets the signal to stop (docker stop), not a shell.`,
			`Schrijf CMD ["python", "app.py"] in plaats van CMD python app.py: dan krijgt je programma zelf het signaal om te stoppen (docker stop), niet een shell.`),
		bk(linter.RuleLegacyKeyValueFormat.Name,
			"Write ENV and LABEL as key=value",
			"Schrijf ENV en LABEL als sleutel=waarde",
			"Write ENV NAME=value, not ENV NAME value: the old form without = is deprecated.",
			"Schrijf ENV NAAM=waarde, niet ENV NAAM waarde: de oude vorm zonder = is verouderd."),
		bk(linter.RuleMaintainerDeprecated.Name,
			"Do not use MAINTAINER",
			"Gebruik geen MAINTAINER",
			`MAINTAINER is deprecated. Write LABEL org.opencontainers.image.authors="name@example.com" instead.`,
			`MAINTAINER is verouderd. Schrijf in plaats daarvan LABEL org.opencontainers.image.authors="naam@example.com".`),
		bk(linter.RuleMultipleInstructionsDisallowed.Name,
			"Use CMD, ENTRYPOINT and HEALTHCHECK at most once per stage",
			"Gebruik CMD, ENTRYPOINT en HEALTHCHECK hoogstens één keer per stage",
			"Only the last one counts: remove the others. To run several commands, put them in one script and start that.",
			"Alleen de laatste telt: verwijder de andere. Wil je meerdere commando's uitvoeren, zet ze dan in één script en start dat."),
		bk(linter.RuleNoEmptyContinuation.Name,
			"Do not leave empty lines inside an instruction that continues with \\",
			"Laat geen lege regels staan in een instructie die met \\ doorloopt",
			"Remove the empty line after the line that ends in \\. A comment line there is fine.",
			"Verwijder de lege regel na de regel die eindigt op \\. Een regel met commentaar mag daar wel."),
		bk(linter.RuleRedundantTargetPlatform.Name,
			"Do not write FROM --platform=$TARGETPLATFORM",
			"Schrijf geen FROM --platform=$TARGETPLATFORM",
			"That platform is already the default: remove --platform=$TARGETPLATFORM.",
			"Dat platform is al de standaard: verwijder --platform=$TARGETPLATFORM."),
		bk(linter.RuleReservedStageName.Name,
			"Do not name a stage scratch or context",
			"Noem een stage niet scratch of context",
			"Those names are reserved. Choose another name after AS, e.g. AS build.",
			"Die namen zijn gereserveerd. Kies na AS een andere naam, bijvoorbeeld AS build."),
		bk(linter.RuleSecretsUsedInArgOrEnv.Name,
			"Do not put secrets in ARG or ENV",
			"Zet geen geheimen in ARG of ENV",
			"The values of ARG and ENV end up in the image, readable by anyone who has it. Give a password or key when the container starts (docker run -e, or environment or secrets in compose), or use RUN --mount=type=secret while building.",
			"De waarden van ARG en ENV komen in de image terecht, leesbaar voor iedereen die hem heeft. Geef een wachtwoord of sleutel mee bij het starten (docker run -e, of environment of secrets in compose), of gebruik RUN --mount=type=secret tijdens het bouwen."),
		bk(linter.RuleStageNameCasing.Name,
			"Write stage names in lower case",
			"Schrijf namen van stages in kleine letters",
			"Write FROM golang:1.22 AS build, not AS Build.",
			"Schrijf FROM golang:1.22 AS build, niet AS Build."),
		bk(linter.RuleUndefinedArgInFrom.Name,
			"Declare the ARGs a FROM uses before the first FROM",
			"Declareer de ARG's die een FROM gebruikt vóór de eerste FROM",
			"A FROM line can only use ARGs declared above the first FROM. Add ARG NAME=default at the top of the Dockerfile, or correct the name's spelling.",
			"Een FROM-regel kan alleen ARG's gebruiken die boven de eerste FROM staan. Zet ARG NAAM=standaardwaarde bovenaan de Dockerfile, of verbeter de spelling van de naam."),
		bk(linter.RuleWorkdirRelativePath.Name,
			"Give WORKDIR an absolute path",
			"Geef WORKDIR een absoluut pad",
			"Write WORKDIR /app, not WORKDIR app: a relative path depends on the working directory of the base image.",
			"Schrijf WORKDIR /app, niet WORKDIR app: een relatief pad hangt af van de werkmap van de basisimage."),

		// kist's teaching rules for Dockerfiles.
		own(kindDockerfile, ruleLatestTag,
			"Give base images a version tag",
			"Geef basisimages een versie-tag",
			"Write FROM python:3.12-slim, not FROM python or python:latest: latest changes over time, so the same Dockerfile can build something else next month.",
			"Schrijf FROM python:3.12-slim, niet FROM python of python:latest: latest verandert in de loop van de tijd, dus dezelfde Dockerfile kan volgende maand iets anders bouwen."),
		own(kindDockerfile, ruleAddNotCopy,
			"Use COPY for local files",
			"Gebruik COPY voor lokale bestanden",
			"ADD also downloads URLs and unpacks archives; for plain files and folders COPY does the same and says what it does. Replace ADD with COPY.",
			"ADD downloadt ook URL's en pakt archieven uit; voor gewone bestanden en mappen doet COPY hetzelfde en zegt het wat het doet. Vervang ADD door COPY."),
		own(kindDockerfile, ruleAptLists,
			"Remove apt's package lists in the RUN that installs",
			"Verwijder de pakketlijsten van apt in de RUN die installeert",
			"End the RUN that runs apt-get install with && rm -rf /var/lib/apt/lists/*. The lists are only needed while installing, and removing them in a later RUN does not make the image smaller.",
			"Eindig de RUN met apt-get install met && rm -rf /var/lib/apt/lists/*. De lijsten zijn alleen nodig tijdens het installeren, en ze in een latere RUN verwijderen maakt de image niet kleiner."),
		own(kindDockerfile, ruleRunsAsRoot,
			"Run the container as a user other than root",
			"Laat de container draaien als een andere gebruiker dan root",
			"Add a USER that is not root to the final stage, after the steps that need root, e.g. USER 1000 (or create a user with useradd and give its name).",
			"Zet in de laatste stage een USER die niet root is, na de stappen die root nodig hebben, bijvoorbeeld USER 1000 (of maak een gebruiker aan met useradd en geef zijn naam)."),
		own(kindDockerfile, ruleNoDockerignore,
			"Add a .dockerignore when you copy the whole folder",
			"Voeg een .dockerignore toe als je de hele map kopieert",
			"COPY . copies everything in the folder, also .git, secrets and build output. Write a .dockerignore that lists what the image does not need, e.g. .git, .env and node_modules.",
			"COPY . kopieert alles in de map, ook .git, geheimen en build-uitvoer. Schrijf een .dockerignore met wat de image niet nodig heeft, bijvoorbeeld .git, .env en node_modules."),

		// kist's teaching rules for compose files.
		own(kindCompose, rulePortsNotStrings,
			"Write ports as quoted strings",
			"Schrijf poorten als tekst tussen aanhalingstekens",
			`Write - "8080:80", not - 8080:80: a YAML reader may take a number with a colon, such as 22:22, for a number in base 60.`,
			`Schrijf - "8080:80", niet - 8080:80: een YAML-lezer kan een getal met een dubbele punt, zoals 22:22, lezen als een getal in het zestigtallig stelsel.`),
		own(kindCompose, ruleUnknownKey,
			"Use only keys the compose specification has",
			"Gebruik alleen sleutels die de compose-specificatie kent",
			"Check the key's spelling and its indentation: it may belong one level higher or lower. Keys that start with x- are yours to use.",
			"Controleer de spelling van de sleutel en hoe ver hij inspringt: misschien hoort hij een niveau hoger of lager. Sleutels die met x- beginnen mag je vrij gebruiken."),
		own(kindCompose, ruleDependsOnMiss,
			"Let depends_on name services that exist",
			"Laat depends_on alleen services noemen die bestaan",
			"Every name under depends_on must be a service under services:. Correct the spelling, or add the service.",
			"Elke naam onder depends_on moet een service onder services: zijn. Verbeter de spelling, of voeg de service toe."),
		own(kindCompose, ruleVersionObsolete,
			"Leave out the version key",
			"Laat de sleutel version weg",
			"version: is obsolete: docker compose ignores it and warns about it. Remove the line.",
			"version: is verouderd: docker compose negeert het en waarschuwt ervoor. Verwijder de regel."),
		own(kindCompose, ruleHostPathOutside,
			"Keep bind mounts and build contexts inside the project folder",
			"Houd bind mounts en build-contexten binnen de projectmap",
			"Use a path relative to the compose file that stays inside its folder, e.g. ./html:/usr/share/nginx/html: a path elsewhere on your computer does not exist on another one. For data, use a named volume.",
			"Gebruik een pad relatief aan het compose-bestand dat binnen zijn map blijft, bijvoorbeeld ./html:/usr/share/nginx/html: een pad elders op jouw computer bestaat niet op een andere. Gebruik voor data een benoemd volume."),
	}
})
