-- Slack and email alerts name the goal: its title and unit, projected from GoalSet and GoalRevised
-- next to the parent link. Goals seen before this migration keep NULL until they are revised;
-- their alerts show the goal id instead of the title.
ALTER TABLE goal_parents ADD COLUMN title text, ADD COLUMN unit text;
