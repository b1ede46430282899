#!/usr/bin/env bash
# Set everything up, start a simulated Canon fleet on loopback, and run the fleet status
# playbook against it. The simulator stops when the demo ends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_CALLBACK_FORMAT_PRETTY=true
mkdir -p demo/output

python -m simulator serve --spec demo/fleet.yml --port 16100 --manifest demo/output/manifest.json \
  > demo/output/simulator.out 2> demo/output/simulator.log &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^READY' demo/output/simulator.out 2>/dev/null && break
  kill -0 $sim 2>/dev/null || { cat demo/output/simulator.log; exit 1; }
  sleep 0.2
done
echo "simulator: $(head -1 demo/output/simulator.out)"

# A bit of life in the fleet: a low toner on the print-room device, pages printed on another.
python -m simulator ctl --manifest demo/output/manifest.json alert 127.0.1.13 --kind toner_low --colorant magenta >/dev/null
python -m simulator ctl --manifest demo/output/manifest.json print 127.0.1.11 --pages 25 --size A3 --color >/dev/null

ansible-playbook -i demo/hosts.yml playbooks/fleet_status.yml
echo
echo "Table written to demo/output/fleet-status.txt:"
cat demo/output/fleet-status.txt
