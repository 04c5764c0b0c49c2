# infra/secure/certs.sh: the local certificate authority of the secured stack (sourced by
# infra/local). One CA signs every server and client certificate, so a client trusts the whole
# stack through one file (KAFKA_SSL_CA_FILE, ELASTICSEARCH_CA_FILE, REDIS_TLS_CA_FILE).
#
# Everything lives in $SECRETS (outside the clone, 0700, keys 0600) and is made once: a second
# `up --secure` reuses it, so clients configured earlier keep working.

# secure_ca: the CA key and certificate, made on first use.
secure_ca() {
  mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
  [[ -s $SECRETS/ca.crt && -s $SECRETS/ca.key ]] && return 0
  say "secure: creating the local certificate authority in $SECRETS…"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -subj "/CN=dockwatch local CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$SECRETS/ca.key" -out "$SECRETS/ca.crt" 2>>"$LOGS/secure.log"
  ) || die "could not create the local CA; see $(rel "$LOGS/secure.log")"
  chmod 644 "$SECRETS/ca.crt"
}

# secure_cert NAME [SAN...]: $SECRETS/NAME.key and NAME.crt signed by the CA, for a server
# or a client (both usages). The SANs always include localhost and 127.0.0.1; pass more as
# "DNS:kafka" or "IP:10.0.0.5". Made once; DAYS (default 825) sets the validity, and a
# negative-looking need (an expired certificate for a denial test) uses secure_cert_expired.
secure_cert() {
  local name=$1
  shift
  secure_ca
  [[ -s $SECRETS/$name.crt && -s $SECRETS/$name.key ]] && return 0
  local san="DNS:localhost,IP:127.0.0.1" extra
  for extra in "$@"; do san+=",$extra"; done
  (
    umask 077
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$name" \
      -keyout "$SECRETS/$name.key" -out "$SECRETS/$name.csr" 2>>"$LOGS/secure.log" &&
      openssl x509 -req -in "$SECRETS/$name.csr" -CA "$SECRETS/ca.crt" -CAkey "$SECRETS/ca.key" \
        -CAcreateserial -sha256 -days "${DAYS:-825}" -out "$SECRETS/$name.crt" \
        -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$san") \
        2>>"$LOGS/secure.log"
  ) || die "could not create the certificate $name; see $(rel "$LOGS/secure.log")"
  rm -f "$SECRETS/$name.csr"
}

# secure_password NAME: a random password kept in $SECRETS/NAME.password (made once), printed.
secure_password() {
  local file=$SECRETS/$1.password
  mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
  [[ -s $file ]] || (umask 077 && openssl rand -hex 24 >"$file")
  cat "$file"
}
