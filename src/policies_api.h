/*
 * policies_api.h — the admin API for authorization rules.
 *
 * Like the rest of the admin API (admin.h): x-auth-token first (401), the
 * body read as JSON whatever its Content-Type, audit lines at level 4.
 * Unlike users, tokens and clusters, a rule with an unknown field is
 * refused (400), and so is anything policy_rule.c does not accept;
 * nothing is stored then. Shapes and choices: doc/policies.md, "Admin API".
 *
 * {id} is a rule's database id, or a rule's name: the rules of policy_file
 * have no id, and are listed and read like the others, but any change to
 * them (PUT, DELETE, or a POST or PUT taking one of their names) is a 409.
 */
#ifndef KA_POLICIES_API_H
#define KA_POLICIES_API_H

struct req;

void policies_api_list(struct req *r);          /* GET /policies */
void policies_api_create(struct req *r);        /* POST /policies */
void policies_api_get(struct req *r);           /* GET /policies/{id} */
void policies_api_replace(struct req *r);       /* PUT /policies/{id} */
void policies_api_delete(struct req *r);        /* DELETE /policies/{id} */

#endif
