import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PublisherEntity } from './publisher.entity';
import { PublishersController } from './publishers.controller';
import { PublishersRepository } from './publishers.repository';
import { PublishersService } from './publishers.service';

@Module({
  imports: [TypeOrmModule.forFeature([PublisherEntity])],
  controllers: [PublishersController],
  providers: [PublishersRepository, PublishersService],
  exports: [PublishersService],
})
export class PublishersModule {}
