"""People (持证人/考生): identity with the ID number encrypted, employment links, which bodies may see them."""
