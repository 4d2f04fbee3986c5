# debian/config.sed — config-example.yaml -> /etc/kubernetes-auth/config.yaml:
# the same keys and comments, with the paths and accounts of the package.
1a\
#\
# Installed by the Debian package (a conffile: your changes are kept on\
# upgrades). The package created the service account _kubernetes-auth and\
# generated /etc/kubernetes-auth/token.key and /etc/kubernetes-auth/admin-token\
# (root:_kubernetes-auth, mode 0640). Before starting the service, set at\
# least database.*, ldap.urls, ldap.base_dn and public_url, and write the\
# database password into /etc/kubernetes-auth/database-password (same owner\
# and mode). Then: kubernetes-auth check-config --connect\
#   -config-file /etc/kubernetes-auth/config.yaml; man kubernetes-auth.
s|^user: ""$|user: _kubernetes-auth|
s|^group: ""$|group: _kubernetes-auth|
s|^admin_token_file: ""$|admin_token_file: /etc/kubernetes-auth/admin-token|
s|^#migrations_dir: /usr/share/kubernetes-auth/sql$|migrations_dir: /usr/share/kubernetes-auth/sql|
s|^  password_file: ""$|  password_file: /etc/kubernetes-auth/database-password|
s|^  #key_file: /etc/kubernetes-auth/token.key$|  key_file: /etc/kubernetes-auth/token.key|
