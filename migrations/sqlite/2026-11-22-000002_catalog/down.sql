DROP TABLE demands;
DROP TABLE products;
DROP TABLE qualifications;
