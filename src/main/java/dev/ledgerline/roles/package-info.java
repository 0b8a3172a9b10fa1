/**
 * A node's roles: {@link dev.ledgerline.roles.RoleVerticle}, what every role receives ({@link
 * dev.ledgerline.roles.NodeContext}) and their deployment, health and undeployment; the node supplies the verticles.
 */
package dev.ledgerline.roles;
