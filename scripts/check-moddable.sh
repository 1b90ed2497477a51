#!/usr/bin/env bash
# Builds manifest.json with a Moddable SDK's own tools, as far as this machine allows, and with
# --run boots both products in the SDK's Linux simulator against a private mosquitto.
# By hand, never from `npm test`: the SDK is in no registry. README, "Building for the devices".
#
#   MODDABLE=~/Projects/moddable scripts/check-moddable.sh [--debug] [--run [--tls]]
#
# Needs: a Moddable SDK whose Linux host tools are built ($MODDABLE/build/makefiles/lin: make),
# `npm ci` (TypeScript 6 from node_modules/.bin); for --run also Xvfb and mosquitto.
# ESP-IDF is optional. With IDF_PATH naming an installed ESP-IDF, each board goes through
# `mcconfig -m -t build` (the whole image, nothing flashed). Without it, the steps that need no
# ESP-IDF run from the makefile mcconfig generates: tsc, xsc, xsl and mcrez. That makefile will not
# even parse without IDF_PATH naming a git checkout, so an empty repository stands in for it, and
# `make -o` keeps make from asking ESP-IDF for sdkconfig.h, which those steps do not read.
# Everything is written under build/moddable/.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build/moddable
BOARDS=(payterm_soundbox payterm_qr)
PRODUCTS=(soundbox qr-display)
BUILD=release
RUN=0
RUN_ARGS=()
for arg in "$@"; do
	case $arg in
		--debug) BUILD=debug ;;
		--run) RUN=1 ;;
		--tls) RUN_ARGS+=(--tls) ;;  # the devices' client certificates over TLS: fails with SDK 8.2.3 (README)
		*) echo "usage: scripts/check-moddable.sh [--debug] [--run [--tls]]" >&2; exit 2 ;;
	esac
done

if [ -z "${MODDABLE:-}" ] || [ ! -x "$MODDABLE/build/bin/lin/release/mcconfig" ]; then
	echo "check-moddable: set MODDABLE to a Moddable SDK whose host tools are built (cd \$MODDABLE/build/makefiles/lin && make)" >&2
	exit 2
fi
export PATH="$ROOT/node_modules/.bin:$MODDABLE/build/bin/lin/release:$PATH"
if ! tsc -v | grep -q '^Version 6\.'; then
	echo "check-moddable: mcconfig compiles TypeScript with the tsc on PATH; run npm ci for the project's TypeScript 6 (found: $(tsc -v))" >&2
	exit 2
fi
[ -d build/voice/en-in ] || npm run -s build:voice || exit 1

SDK_COMMIT=$(git -C "$MODDABLE" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "Moddable SDK $(cat "$MODDABLE/tools/VERSION" 2>/dev/null) ($SDK_COMMIT) at $MODDABLE; $(tsc -v)"
mkdir -p "$OUT"
SUMMARY=()
FAILED=0

# step NAME LOG COMMAND...: runs COMMAND with its output in LOG; records pass or fail.
step() {
	local name=$1 log=$2
	shift 2
	printf '%-64s' "$name"
	if "$@" >"$log" 2>&1; then
		echo pass
		SUMMARY+=("pass  $name")
	else
		echo "FAIL (log: ${log#"$ROOT"/})"
		grep -E 'error|Error|abort|not found' "$log" | head -20 | sed 's/^/    /'
		SUMMARY+=("FAIL  $name  (${log#"$ROOT"/})")
		FAILED=1
		return 1
	fi
}

DEBUG_FLAG=()
[ "$BUILD" = debug ] && DEBUG_FLAG=(-d)

IDF_STANDIN=$OUT/idf-standin
if [ -n "${IDF_PATH:-}" ] && [ -f "$IDF_PATH/export.sh" ]; then
	echo "ESP-IDF at $IDF_PATH: full builds, nothing flashed"
	FULL_IDF=1
else
	echo "No ESP-IDF (IDF_PATH): the ESP32 builds stop before the C compile"
	FULL_IDF=0
	if [ ! -d "$IDF_STANDIN/.git" ]; then
		git init -q "$IDF_STANDIN" &&
			git -C "$IDF_STANDIN" -c user.name=check-moddable -c user.email=none@localhost commit -q --allow-empty -m "stands in for ESP-IDF"
	fi
fi

for board in "${BOARDS[@]}"; do
	out=$OUT/esp32-$board
	mkdir -p "$out"
	log=$out/$BUILD
	tmp=$out/tmp/esp32/$board/$BUILD/payterm
	step "esp32/$board: mcconfig (manifest, makefile, partitions)" "$log-mcconfig.log" \
		mcconfig "${DEBUG_FLAG[@]}" -p "esp32:hal/moddable/targets/$board" -o "$out" ./manifest.json
	grep -h '^mcconfig:' "$log-mcconfig.log" | sed 's/^/    /'
	if [ -f "$tmp/xsProj-esp32/partitions.csv" ]; then
		grep -v -E '^\s*(#|$)' "$tmp/xsProj-esp32/partitions.csv" | sed 's/^/    /'
	fi
	if [ "$FULL_IDF" = 1 ]; then
		step "esp32/$board: mcconfig -m -t build (ESP-IDF)" "$log-build.log" \
			mcconfig "${DEBUG_FLAG[@]}" -m -t build -p "esp32:hal/moddable/targets/$board" -o "$out" ./manifest.json
		continue
	fi
	sdkconfig=$tmp/xsProj-esp32/build/config/sdkconfig.h
	step "esp32/$board: tsc + xsc of every module, xsl link" "$log-modules.log" \
		env IDF_PATH="$IDF_STANDIN" make -f "$tmp/makefile" -o "$sdkconfig" "$tmp/mc.xs.c" MAKEFLAGS_JOBS=--jobs="$(nproc)"
	grep -h '^### [0-9]' "$log-modules.log" | sed 's/^/    xsl: /'
	step "esp32/$board: mcrez resources" "$log-resources.log" \
		env IDF_PATH="$IDF_STANDIN" make -f "$tmp/makefile" -o "$sdkconfig" "$tmp/mc.resources.c" MAKEFLAGS_JOBS=--jobs="$(nproc)"
	grep -h 'Total resource size' "$log-resources.log" | sed 's/^/    mcrez: /'
done

# The desktop simulator: lin's preference module is JavaScript that reads its file when it loads,
# which is why manifest.json preloads hal/moddable/kv and main only on the boards.
for product in "${PRODUCTS[@]}"; do
	out=$OUT/lin-$product
	mkdir -p "$out"
	step "lin ($product): mcconfig -d -m -t build" "$out/build.log" \
		mcconfig -d -m -t build -p lin -o "$out" ./manifest.json "product=$product" || continue
	grep -h '^### [0-9]' "$out/build.log" | sed 's/^/    xsl: /'
done

if [ "$RUN" = 1 ]; then
	so() { echo "$OUT/lin-$1/bin/lin/mc/debug/payterm/mc.so"; }
	if [ -f "$(so soundbox)" ] && [ -f "$(so qr-display)" ]; then
		printf '%-64s\n' "lin: both products in mcsim under Xvfb, private mosquitto"
		if tsx scripts/moddable-sim-run.ts --soundbox "$(so soundbox)" --qr-display "$(so qr-display)" --out "$OUT/run" "${RUN_ARGS[@]}"; then
			SUMMARY+=("pass  lin: boot, pay, charge in mcsim ${RUN_ARGS[*]} (build/moddable/run)")
		else
			SUMMARY+=("FAIL  lin: boot, pay, charge in mcsim ${RUN_ARGS[*]} (build/moddable/run)")
			FAILED=1
		fi
	else
		SUMMARY+=("FAIL  lin: not run, a simulator build failed")
		FAILED=1
	fi
fi

echo
echo "Moddable SDK $SDK_COMMIT, $BUILD ESP32 builds:"
printf '  %s\n' "${SUMMARY[@]}"
exit $FAILED
