CREATE TABLE broken_bad(id int);
INSERT INTO no_such_table VALUES (1);
