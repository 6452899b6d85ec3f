-- How many times each organisation's goal tree rows (`goal_nodes`) were written, and in which write each row last
-- changed: a transaction that writes tree rows first counts its write here (holding the organisation's row locked
-- to its commit, so writers are numbered one after the other) and tags the rows with that number. A goals process
-- keeps an organisation's rows in memory at a number and catches up by reading only the rows tagged after it
-- (docs/decisions.md, "Goals keeps the tree rows it committed").
CREATE TABLE goal_tree_versions (
    org_id   text PRIMARY KEY,
    version  bigint NOT NULL
);
ALTER TABLE goal_nodes ADD COLUMN tree_version bigint NOT NULL DEFAULT 0;
CREATE INDEX goal_nodes_by_tree_version ON goal_nodes (org_id, tree_version);
