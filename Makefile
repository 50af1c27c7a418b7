# The two commands of the README. Both install what they need first, so they work on a fresh machine.
.PHONY: run test lint bench package

run:
	scripts/install.sh
	.venv/bin/oet-desktop

test:
	scripts/install.sh --dev
	scripts/run-tests.sh

lint:
	.venv/bin/ruff check oet_desktop sync_server tests
	.venv/bin/mypy
	.venv/bin/lint-imports --no-cache

bench:
	.venv/bin/oet-desktop bench engines

# The Linux artefacts (not one of the README's two set-up commands): the one-folder bundle, its .tar.gz and a .deb.
package:
	scripts/install.sh --package
	scripts/build-bundle.sh dist
	scripts/build-deb.sh dist/oet-desktop dist
