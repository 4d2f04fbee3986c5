#!/bin/sh
# contrib/set-aside-kubectl.sh — before `apt-get install kubernetes-client`:
# Debian's kubectl (the one the credential plugin's tests run) and a kubectl
# of another package (e.g. Google Cloud's "kubectl") both install
# /usr/bin/kubectl, and apt refuses the second. Set the other one aside as
# /usr/bin/kubectl.other (a dpkg diversion; `dpkg-divert --remove
# /usr/bin/kubectl` undoes it). Does nothing when kubernetes-client is
# installed already or no other package owns the file. As root.
set -eu
dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q 'ok installed' && exit 0
dpkg-divert --list /usr/bin/kubectl | grep -q . && exit 0
dpkg-query -S /usr/bin/kubectl >/dev/null 2>&1 || exit 0
dpkg-divert --package kubernetes-client --divert /usr/bin/kubectl.other --rename /usr/bin/kubectl
