#!/bin/sh
# Create the virtual environment, install the pipeline into it, and make sure the system
# libraries WeasyPrint needs (Pango, HarfBuzz, fontconfig) are present. Called by the Makefile.
set -eu
PYTHON=$1
VENV=$2
# WeasyPrint loads these with dlopen at import time; pip cannot install them.
SYSTEM_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core"

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installerer systempakker: $*"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    else
        echo "Mangler systempakker: $*" >&2
        echo "Bed en administrator køre: sudo apt-get install $*" >&2
        exit 1
    fi
}

if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Opretter $VENV"
    "$PYTHON" -m venv "$VENV"
fi
echo "Installerer Python-pakker i $VENV"
# -qq: errors only. One -q still let warnings through: setuptools' "Editable installation"
# block from the build backend, and a machine's pip configuration (an index location that is
# not there) printing a line per package. The case officer can do nothing about either; a
# failing install still prints pip's ERROR lines (and the backend's output) and stops here.
# Editable on purpose: the installed command runs the working tree's code after a `git pull`.
# -c constraints.txt: the exact versions the tests passed with (WeasyPrint and pydyf above all,
# whose internals the PDF adapter uses); the file says how to refresh it.
"$VENV/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -qq --disable-pip-version-check -c constraints.txt -e '.[test]'

# -W error: WeasyPrint only warns when HarfBuzz-Subset is missing, and font subsetting then
# takes another path; every machine should render the same way.
if ! "$VENV/bin/python" -W error -c 'import weasyprint' >/dev/null 2>&1; then
    apt_install $SYSTEM_PACKAGES
    "$VENV/bin/python" -W error -c 'import weasyprint'
fi
