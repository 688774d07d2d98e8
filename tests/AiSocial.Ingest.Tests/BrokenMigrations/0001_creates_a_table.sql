create schema broken;
create table broken.first (id integer);
