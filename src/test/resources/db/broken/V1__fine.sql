CREATE TABLE broken_ok(id int);
