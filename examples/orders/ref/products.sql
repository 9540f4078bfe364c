-- ref.products: the product catalogue the orders stream's product_id points into
-- (`floe gen orders` draws product ids 0..499; the catalogue has 0..4999). `floe serve`
-- loads products.csv into ref.products when the table does not exist yet. Columns:
product_id INT NOT NULL,
name       STRING NOT NULL,
category   STRING NOT NULL,
price      DECIMAL(10,2) NOT NULL
