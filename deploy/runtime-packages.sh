#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given ELF
# files link directly (their NEEDED entries, resolved as the dynamic loader
# resolves them), one per line. The runtime stage of deploy/Dockerfile
# installs exactly these, so its package list cannot fall behind the code.
# Fails if a library is missing or belongs to no package.
#
#   deploy/runtime-packages.sh /staging/usr/local/bin/* /staging/usr/local/lib/triggerfish/plugins/*.so
set -euo pipefail

declare -A packages=()
for file in "$@"; do
  # NEEDED sonames of this file, and where ldd resolves each of them.
  mapfile -t needed < <(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  resolved="$(ldd "$file")"
  for soname in "${needed[@]}"; do
    path="$(awk -v lib="$soname" '$1 == lib && $2 == "=>" {print $3}' <<<"$resolved")"
    if [ -z "$path" ] || [ "$path" = "not" ]; then
      echo "runtime-packages: $file needs $soname, which is not installed" >&2
      exit 1
    fi
    # usrmerge: dpkg may know the file under /lib or /usr/lib.
    package=""
    for candidate in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
      package="$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1)" && [ -n "$package" ] && break
    done
    if [ -z "$package" ]; then
      echo "runtime-packages: no Debian package provides $path ($soname, needed by $file)" >&2
      exit 1
    fi
    packages["$package"]=1
  done
done
printf '%s\n' "${!packages[@]}" | sort
